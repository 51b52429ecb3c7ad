-- A store as the code before Alembic wrote it (schema_version 1), with one of each row.
CREATE TABLE schema_version (
	version INTEGER NOT NULL,
	PRIMARY KEY (version)
);
CREATE TABLE trips (
	id VARCHAR NOT NULL,
	request TEXT NOT NULL,
	status VARCHAR NOT NULL,
	called_at VARCHAR,
	created_at VARCHAR NOT NULL,
	updated_at VARCHAR NOT NULL,
	PRIMARY KEY (id)
);
CREATE TABLE vehicles (
	id VARCHAR NOT NULL,
	vehicle TEXT NOT NULL,
	position_at VARCHAR,
	updated_at VARCHAR NOT NULL,
	PRIMARY KEY (id)
);
CREATE TABLE plans (
	id INTEGER NOT NULL,
	reason VARCHAR NOT NULL,
	"plan" TEXT NOT NULL,
	created_at VARCHAR NOT NULL,
	PRIMARY KEY (id)
);
CREATE TABLE models (
	version VARCHAR NOT NULL,
	path VARCHAR NOT NULL,
	base_version VARCHAR,
	decision TEXT NOT NULL,
	promoted_at VARCHAR NOT NULL,
	PRIMARY KEY (version)
);
CREATE TABLE idempotency_keys (
	"key" VARCHAR NOT NULL,
	trip_id VARCHAR NOT NULL,
	body_sha256 VARCHAR NOT NULL,
	response TEXT NOT NULL,
	created_at VARCHAR NOT NULL,
	PRIMARY KEY ("key"),
	FOREIGN KEY(trip_id) REFERENCES trips (id)
);
CREATE TABLE events (
	id INTEGER NOT NULL,
	trip_id VARCHAR NOT NULL,
	kind VARCHAR NOT NULL,
	at VARCHAR NOT NULL,
	vehicle_id VARCHAR,
	recorded_at VARCHAR NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(trip_id) REFERENCES trips (id)
);
CREATE INDEX ix_events_trip_id ON events (trip_id);
CREATE TABLE predictions (
	id INTEGER NOT NULL,
	trip_id VARCHAR NOT NULL,
	model_version VARCHAR,
	departure VARCHAR NOT NULL,
	p50_s FLOAT NOT NULL,
	p90_s FLOAT NOT NULL,
	free_flow_s FLOAT NOT NULL,
	features TEXT NOT NULL,
	created_at VARCHAR NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(trip_id) REFERENCES trips (id)
);
CREATE INDEX ix_predictions_trip_id ON predictions (trip_id);
CREATE TABLE outcomes (
	id INTEGER NOT NULL,
	trip_id VARCHAR NOT NULL,
	prediction_id INTEGER,
	pickup_time VARCHAR NOT NULL,
	origin_lat FLOAT NOT NULL,
	origin_lon FLOAT NOT NULL,
	dest_lat FLOAT NOT NULL,
	dest_lon FLOAT NOT NULL,
	duration_s FLOAT NOT NULL,
	observations TEXT NOT NULL,
	recorded_at VARCHAR NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (trip_id),
	FOREIGN KEY(trip_id) REFERENCES trips (id),
	FOREIGN KEY(prediction_id) REFERENCES predictions (id)
);
INSERT INTO schema_version VALUES (1);
INSERT INTO trips VALUES ('t1',
	'{"id":"t1","rider_id":"rider-t1","pickup":{"lat":39.301,"lon":-76.605,"name":null},"dropoff":{"lat":39.297,"lon":-76.593,"name":null},"mobility":"wheelchair","escorts":0,"ready_at":null,"pickup_window_s":900.0,"appointment_at":"2026-03-02T09:30:00-05:00","early_arrival_s":1800.0,"max_ride_s":null,"board_s":300.0,"alight_s":240.0,"return_of":null,"will_call":false,"priority":3}', 'picked_up', NULL,
	'2026-03-02T13:00:00+00:00', '2026-03-02T14:00:00+00:00');
INSERT INTO idempotency_keys VALUES ('k1', 't1', 'sha', '{"answer": 1}',
	'2026-03-02T13:00:00+00:00');
INSERT INTO events VALUES (1, 't1', 'picked_up', '2026-03-02T14:00:00+00:00', NULL,
	'2026-03-02T14:00:01+00:00');
INSERT INTO plans VALUES (7, 'booking', '{"routes": []}', '2026-03-02T13:00:02+00:00');
