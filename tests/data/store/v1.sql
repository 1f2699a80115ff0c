-- Tasks as Taskyard wrote them before the lifecycle was typed (schema version 1): the
-- workspace's status inside its JSON, an owner without an engine instance, and values that
-- no release wrote (an unknown status and phase), which load as the nearest honest state.
INSERT INTO tasks (id, name, name_key, display_name, template, preset, parameters, prompt,
                   status, state, workspace, agent_type, created_at, updated_at, error,
                   initial_prompt_sent, deleted)
VALUES
('v1-run', 'run', 'run', 'Run', 'demo', NULL, '{}', 'hi', 'active',
 '{"state": "idle", "message": "Done", "timestamp": "2026-12-01T10:00:00.123456Z", "source": "screen"}',
 '{"provider": "docker", "status": "running", "id": "v1-run", "runtime": "/r", "bridge_url": "http://127.0.0.1:5"}',
 'demo', '2026-12-01T09:00:00.000Z', '2026-12-01T10:00:00.000Z', NULL, 1, 0),
('v1-stop', 'stop', 'stop', 'Stop', 'demo', NULL, '{}', 'hi', 'paused', NULL,
 '{"provider": "local", "status": "stopping", "id": "v1-stop", "runtime": "/r2", "owner": {"pid": 4242, "started": "99"}}',
 'demo', '2026-12-01T09:00:01.000Z', '2026-12-01T10:00:01.000Z', NULL, 1, 0),
('v1-odd', 'odd', 'odd', 'Odd', 'demo', NULL, '{}', 'hi', 'stable', NULL,
 '{"provider": "local", "status": "exploded", "id": "v1-odd"}',
 'demo', '2026-12-01T09:00:02.000Z', '2026-12-01T10:00:02.000Z', NULL, 0, 0);
