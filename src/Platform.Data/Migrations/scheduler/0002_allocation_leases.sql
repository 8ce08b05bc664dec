-- Optional leases on allocations (issue 9): a holder that asked for one renews it by reading its
-- allocation; the scheduler releases the placement when it runs out. NULL = no lease (held until released).
-- After a scheduler restart a leased placement gets a fresh lease of this length.
ALTER TABLE scheduler.placements ADD COLUMN lease_seconds integer CHECK (lease_seconds > 0);
