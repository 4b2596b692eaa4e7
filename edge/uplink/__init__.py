"""Store-and-forward to the district: the outbox, its sender and the transports (HTTPS, MQTT).

Events leave in priority order (alarms first), in batches of one priority,
and are removed from the outbox only once the district has accepted them;
the district deduplicates on ``event_id``, so a batch retried after a cut is
seen once.
"""
