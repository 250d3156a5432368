"""gunicorn for shelter-ops: ONE gevent worker (Flask-SocketIO keeps each screen's session in its
process; more processes need sticky sessions and SHELTER_OPS_MESSAGE_QUEUE, docs/deploy.md).

    gunicorn -c deployment/gunicorn.conf.py shelter_ops.wsgi:app
"""
import os

# before the app is imported: the app reads its async mode from here
os.environ.setdefault("SHELTER_OPS_ASYNC_MODE", "gevent")

bind = os.environ.get("SHELTER_OPS_BIND", "127.0.0.1:8000")  # nginx in front; never 0.0.0.0 without it
workers = 1
# gevent-websocket's worker: HTTP and the websocket upgrade in one process
worker_class = "geventwebsocket.gunicorn.workers.GeventWebSocketWorker"
worker_connections = 2000  # screens held open at once (1,000 measured on 2 cores, docs/PERFORMANCE.md)
timeout = 60  # a PDF of a prefecture map takes seconds, not minutes
graceful_timeout = 20
keepalive = 5
accesslog = os.environ.get("SHELTER_OPS_ACCESS_LOG_FILE") or None  # "-" for stdout (journald)
errorlog = "-"
forwarded_allow_ips = os.environ.get("SHELTER_OPS_FORWARDED_ALLOW_IPS", "127.0.0.1")  # nginx's address
proxy_allow_ips = forwarded_allow_ips
