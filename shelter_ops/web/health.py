"""A trivial health route: load balancers and monitors ask it; benchmarks use it as their baseline."""
from flask import Blueprint, jsonify

bp = Blueprint("health", __name__)


@bp.route("/health")
def health():
    """Always {"ok": true} while the process answers; touches no database."""
    return jsonify(ok=True)
