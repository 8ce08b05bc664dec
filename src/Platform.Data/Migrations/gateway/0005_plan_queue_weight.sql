-- A consumer tenant's weight when the consumer share is split and in the fair queue: a plan with weight 2
-- gets twice the slots and turns of a weight-1 plan while both are waiting.
ALTER TABLE gateway.plans ADD COLUMN queue_weight int NOT NULL DEFAULT 1 CHECK (queue_weight BETWEEN 1 AND 100);
UPDATE gateway.plans SET queue_weight = CASE name WHEN 'free' THEN 1 WHEN 'pro' THEN 4 WHEN 'enterprise' THEN 8 ELSE 2 END;
