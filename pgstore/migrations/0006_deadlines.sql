-- 0006: deadlines as data (issue 13). Event.Deadline is two columns, as
-- the event time is: seconds and nanoseconds since the Unix epoch; a zero
-- deadline (none) is the zero time, as Go has it.
--
-- chatconsult_deadlines holds the deadline of every invitation still
-- pending (a consultation leg, a transfer or conference request). The
-- Store writes it in the transaction that appends the events: a row for
-- each invitation made with a deadline, deleted by the append that ends
-- the invitation (answered, cancelled, timed out). Schedulers claim due
-- rows with SELECT ... FOR UPDATE SKIP LOCKED, setting claimed_until (a
-- lease, on the claimer's clock), so one instance at a time fires each;
-- a claim whose instance died runs out and the row is claimed again.

ALTER TABLE chatconsult_events
    ADD COLUMN deadline_s  bigint  NOT NULL DEFAULT -62135596800,
    ADD COLUMN deadline_ns integer NOT NULL DEFAULT 0;

CREATE TABLE chatconsult_deadlines (
    interaction   text     NOT NULL,
    invitation    text     NOT NULL,
    kind          smallint NOT NULL,
    -- Unix nanoseconds: due, and the end of the current claim (NULL: none).
    due           bigint   NOT NULL,
    claimed_until bigint,
    PRIMARY KEY (interaction, invitation)
);

CREATE INDEX chatconsult_deadlines_due ON chatconsult_deadlines (due);
