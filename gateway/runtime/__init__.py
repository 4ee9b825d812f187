"""The process: the `promotions-gateway` CLI (`cli.main`), uvicorn with graceful
shutdown, what each worker runs (`worker.app_from_env`, uvicorn's factory), and
the heap tuned for serving. Nothing here is imported by the layers below."""
