"""What every MQTT user here needs around aiomqtt: connect-or-undo, drop the socket, name an error.

Used by the cloud-speaker driver and by the daemon's MQTT uplink (``edge``
may use ``drivers``; never the other way round).
"""

from __future__ import annotations

import asyncio

import aiomqtt


async def connect_or_undo(client: aiomqtt.Client, name: str) -> None:
    """Connect, or raise having closed the socket (the caller's error handling sees aiomqtt's own errors).

    paho's connect runs in an executor thread that cannot be interrupted, so a
    cancelled attempt is allowed to finish (within paho's socket timeout plus
    the CONNACK timeout) and is then undone.
    """
    attempt = asyncio.create_task(client.__aenter__(), name=name)
    try:
        await asyncio.shield(attempt)
    except asyncio.CancelledError:
        await asyncio.wait({attempt})
        if not attempt.cancelled():
            attempt.exception()  # retrieved: we are cancelled, whatever it was
        drop(client)
        raise
    except BaseException:
        drop(client)
        raise


def drop(client: aiomqtt.Client) -> None:
    """Close the client's socket now, without DISCONNECT; a no-op once it is closed.

    aiomqtt has no public way to undo a half-made connection. paho's socket
    close calls aiomqtt's ``on_socket_close``, which removes the reader and
    cancels aiomqtt's keep-alive task, so nothing is left on the loop.
    """
    client._client._sock_close()


def describe(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}"
