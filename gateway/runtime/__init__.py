"""The process: the `promotions-gateway` CLI (`cli.main`), uvicorn with graceful
shutdown (`server.serve`), what each worker runs (`worker.app_from_env`), and
the heap tuned for serving. Nothing here is imported by the layers below."""
