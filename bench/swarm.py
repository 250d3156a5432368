"""Many Socket.IO clients in one asyncio loop (python-socketio AsyncClient over websocket), recording
when each receives an event. Bounded: a fixed number of clients, every wait has a timeout."""
import asyncio
import time

import socketio


class Swarm:
    def __init__(self, url, count, event="occupancy", join=None, batch=50, connect_timeout=60, auth=None):
        assert url.startswith("http://127.0.0.1:"), "clients talk to 127.0.0.1 only"
        self.url = url
        self.count = count
        self.event = event
        self.join = join  # async join(client) after connecting (e.g. emit a room subscription)
        self.auth = auth  # sent with the connection (shelter-ops: {"rooms": ["public"]})
        self.batch = batch
        self.connect_timeout = connect_timeout
        self.clients = []
        self.received = []  # per client: [(perf_counter, payload)]

    def _client(self, index):
        client = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        box = []
        self.received.append(box)

        @client.on(self.event)
        async def _on(data=None):
            box.append((time.perf_counter(), data))

        return client

    async def connect(self):
        deadline = time.monotonic() + self.connect_timeout
        for start in range(0, self.count, self.batch):
            made = [self._client(i) for i in range(start, min(self.count, start + self.batch))]
            await asyncio.gather(*(c.connect(self.url, transports=["websocket"], wait_timeout=20,
                                                   auth=self.auth) for c in made))
            if self.join:
                await asyncio.gather(*(self.join(c) for c in made))
            self.clients.extend(made)
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {len(self.clients)} of {self.count} clients connected in time")
        return self

    async def disconnect(self):
        for start in range(0, len(self.clients), 100):
            await asyncio.gather(*(c.disconnect() for c in self.clients[start:start + 100]),
                                 return_exceptions=True)
        self.clients = []

    def marks(self):
        return [len(box) for box in self.received]

    async def wait_all_after(self, marks, timeout=10.0):
        """Wait until every client got something after `marks`; returns how many never did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(len(box) > mark for box, mark in zip(self.received, marks)):
                return 0
            await asyncio.sleep(0.005)
        return sum(len(box) <= mark for box, mark in zip(self.received, marks))


async def delivery(swarm, trigger, fires=5, gap=1.0, timeout=10.0):
    """Fire `trigger(k)` (blocking, run in a thread) `fires` times, `gap` s apart; latency of each
    client's first event after each fire. Returns (latencies in s, clients that missed a fire)."""
    loop = asyncio.get_running_loop()
    latencies, missed = [], 0
    for k in range(fires):
        marks = swarm.marks()
        t0 = time.perf_counter()
        await loop.run_in_executor(None, trigger, k)
        missed += await swarm.wait_all_after(marks, timeout)
        for box, mark in zip(swarm.received, marks):
            if len(box) > mark:
                latencies.append(box[mark][0] - t0)
        await asyncio.sleep(gap)
    return latencies, missed


async def burst(swarm, fire_many, seconds, settle=2.0):
    """Run `fire_many()` (blocking: it sends the burst) and count what each client received during
    the burst and `settle` s after. Returns (the highest update rate any client saw between its first
    and last update, the most updates any client got inside one second, per-client counts, the
    last payload of each client, the seconds the burst took to send)."""
    loop = asyncio.get_running_loop()
    marks = swarm.marks()
    t0 = time.perf_counter()
    await loop.run_in_executor(None, fire_many)
    sent_for = time.perf_counter() - t0
    await asyncio.sleep(settle)
    counts, worst_per_second, worst_rate, lasts = [], 0, 0.0, []
    for box, mark in zip(swarm.received, marks):
        new = box[mark:]
        counts.append(len(new))
        lasts.append(new[-1][1] if new else None)
        times = [t for t, _ in new]
        if len(times) > 1 and times[-1] > times[0]:
            # the delivery rate this client saw: updates between its first and last of the burst
            worst_rate = max(worst_rate, (len(times) - 1) / (times[-1] - times[0]))
        # the most updates inside any one-second window (client-side bunching shows up here)
        j = 0
        for i in range(len(times)):
            while times[i] - times[j] > 1.0:
                j += 1
            worst_per_second = max(worst_per_second, i - j + 1)
    return worst_rate, worst_per_second, counts, lasts, sent_for
