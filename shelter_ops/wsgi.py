"""The app for a production WSGI server: `gunicorn -c deployment/gunicorn.conf.py shelter_ops.wsgi:app`.

The gunicorn config selects gevent (one worker, Flask-SocketIO's way) before this module is
imported, so the app's Socket.IO server runs in gevent mode and the websocket upgrade works.
"""
import gc

from . import create_app

app = create_app()
gc.freeze()  # as run.py: what start-up made is not walked by every full collection (docs/PERFORMANCE.md)
