-- 0016: every status change of an approval request is announced on channel nerv_approval_status, so a hook
-- waiting in queue mode or `nerv approval wait` on another machine hears a decision when it commits instead of
-- polling for it (nerv.store.approval_wait LISTENs). Payload: JSON {"id": <request id>, "status": <new status>}.
-- NOTIFY is delivered at the commit of the transaction that changed the row, never for a rolled-back one.

CREATE FUNCTION nerv_notify_approval_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('nerv_approval_status', json_build_object('id', NEW.id, 'status', NEW.status)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER approval_requests_notify_status
AFTER UPDATE OF status ON approval_requests
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION nerv_notify_approval_status();
