"""Live updates over Socket.IO: every emit in the app goes through the notify functions here."""
from flask_socketio import SocketIO

socketio = SocketIO()


def init_app(app):
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=app.config["MESSAGE_QUEUE"] or None,
    )


def notify_shelter(shelter_id):
    """A shelter's state changed (lifecycle, checklist, zones)."""
    socketio.emit("shelter", {"id": shelter_id}, to="hq")
    socketio.emit("shelter", {"id": shelter_id}, to=f"shelter:{shelter_id}")


def notify_occupancy(shelter_id):
    """Someone arrived or left. (Coalesced and filled with figures by the live-occupancy work.)"""
    notify_shelter(shelter_id)
