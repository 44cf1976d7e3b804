CREATE TABLE schema_version (
	version INTEGER NOT NULL, 
	applied_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	CONSTRAINT pk_schema_version PRIMARY KEY (version)
);

CREATE TABLE users (
	id SERIAL NOT NULL, 
	username VARCHAR(80) NOT NULL, 
	full_name VARCHAR(200) NOT NULL, 
	role VARCHAR(20) NOT NULL, 
	location VARCHAR(200), 
	password_hash VARCHAR(255) NOT NULL, 
	active BOOLEAN NOT NULL, 
	must_change_password BOOLEAN NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	CONSTRAINT pk_users PRIMARY KEY (id), 
	CONSTRAINT ck_users_role CHECK (role IN ('technician', 'trainer', 'manager')), 
	CONSTRAINT uq_users_username UNIQUE (username)
);

CREATE TABLE attempts (
	id SERIAL NOT NULL, 
	user_id INTEGER NOT NULL, 
	kind VARCHAR(10) NOT NULL, 
	module_id VARCHAR(100), 
	started_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	deadline TIMESTAMP WITH TIME ZONE, 
	questions_json TEXT, 
	policy_json TEXT, 
	CONSTRAINT pk_attempts PRIMARY KEY (id), 
	CONSTRAINT ck_attempts_kind CHECK (kind IN ('practice', 'quiz', 'exam', 'review')), 
	CONSTRAINT fk_attempts_user_id FOREIGN KEY(user_id) REFERENCES users (id)
);

CREATE INDEX ix_attempts_user_id_kind_module_id ON attempts (user_id, kind, module_id);

CREATE TABLE audit_log (
	id INTEGER NOT NULL, 
	at TIMESTAMP WITH TIME ZONE NOT NULL, 
	actor_id INTEGER, 
	actor_username VARCHAR(80) NOT NULL, 
	action VARCHAR(60) NOT NULL, 
	target VARCHAR(200) NOT NULL, 
	detail TEXT NOT NULL, 
	prev_hash VARCHAR(64) NOT NULL, 
	hash VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_audit_log PRIMARY KEY (id), 
	CONSTRAINT fk_audit_log_actor_id FOREIGN KEY(actor_id) REFERENCES users (id)
);

CREATE INDEX ix_audit_log_action ON audit_log (action);

CREATE TABLE lesson_reads (
	id SERIAL NOT NULL, 
	user_id INTEGER NOT NULL, 
	module_id VARCHAR(100) NOT NULL, 
	read_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	CONSTRAINT pk_lesson_reads PRIMARY KEY (id), 
	CONSTRAINT fk_lesson_reads_user_id FOREIGN KEY(user_id) REFERENCES users (id)
);

CREATE INDEX ix_lesson_reads_user_id ON lesson_reads (user_id);

CREATE TABLE practical_signoffs (
	id SERIAL NOT NULL, 
	technician_id INTEGER NOT NULL, 
	trainer_id INTEGER NOT NULL, 
	treated_on DATE NOT NULL, 
	checklist_json TEXT NOT NULL, 
	comment TEXT NOT NULL, 
	signed_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	CONSTRAINT pk_practical_signoffs PRIMARY KEY (id), 
	CONSTRAINT fk_practical_signoffs_technician_id FOREIGN KEY(technician_id) REFERENCES users (id), 
	CONSTRAINT fk_practical_signoffs_trainer_id FOREIGN KEY(trainer_id) REFERENCES users (id)
);

CREATE INDEX ix_practical_signoffs_technician_id ON practical_signoffs (technician_id);

CREATE TABLE review_cards (
	id SERIAL NOT NULL, 
	user_id INTEGER NOT NULL, 
	question_id VARCHAR(100) NOT NULL, 
	card_json TEXT NOT NULL, 
	due_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	CONSTRAINT pk_review_cards PRIMARY KEY (id), 
	CONSTRAINT fk_review_cards_user_id FOREIGN KEY(user_id) REFERENCES users (id)
);

CREATE INDEX ix_review_cards_user_id_question_id_id ON review_cards (user_id, question_id, id);

CREATE TABLE sign_in_failures (
	user_id INTEGER NOT NULL, 
	consecutive INTEGER NOT NULL, 
	locked_until TIMESTAMP WITH TIME ZONE, 
	last_failure_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	CONSTRAINT pk_sign_in_failures PRIMARY KEY (user_id), 
	CONSTRAINT fk_sign_in_failures_user_id FOREIGN KEY(user_id) REFERENCES users (id)
);

CREATE TABLE attempt_results (
	attempt_id INTEGER NOT NULL, 
	finished_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	score FLOAT NOT NULL, 
	passed BOOLEAN, 
	closed_by VARCHAR(10) NOT NULL, 
	detail_json TEXT, 
	CONSTRAINT pk_attempt_results PRIMARY KEY (attempt_id), 
	CONSTRAINT ck_attempt_results_score CHECK (score >= 0 AND score <= 1), 
	CONSTRAINT ck_attempt_results_closed_by CHECK (closed_by IN ('submitted', 'deadline')), 
	CONSTRAINT fk_attempt_results_attempt_id FOREIGN KEY(attempt_id) REFERENCES attempts (id)
);

CREATE TABLE certificates (
	id SERIAL NOT NULL, 
	code VARCHAR(32) NOT NULL, 
	user_id INTEGER NOT NULL, 
	attempt_id INTEGER, 
	title VARCHAR(200) NOT NULL, 
	issued_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	expires_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	score FLOAT NOT NULL, 
	CONSTRAINT pk_certificates PRIMARY KEY (id), 
	CONSTRAINT uq_certificates_code UNIQUE (code), 
	CONSTRAINT fk_certificates_user_id FOREIGN KEY(user_id) REFERENCES users (id), 
	CONSTRAINT fk_certificates_attempt_id FOREIGN KEY(attempt_id) REFERENCES attempts (id)
);

CREATE INDEX ix_certificates_user_id ON certificates (user_id);

CREATE TABLE responses (
	id SERIAL NOT NULL, 
	attempt_id INTEGER NOT NULL, 
	position INTEGER NOT NULL, 
	question_id VARCHAR(100) NOT NULL, 
	module_id VARCHAR(100) NOT NULL, 
	content_hash VARCHAR(128) NOT NULL, 
	snapshot_json TEXT NOT NULL, 
	answer_json TEXT NOT NULL, 
	score FLOAT NOT NULL, 
	correct BOOLEAN NOT NULL, 
	answered_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	seconds_taken FLOAT, 
	CONSTRAINT pk_responses PRIMARY KEY (id), 
	CONSTRAINT ck_responses_score CHECK (score >= 0 AND score <= 1), 
	CONSTRAINT fk_responses_attempt_id FOREIGN KEY(attempt_id) REFERENCES attempts (id)
);

CREATE INDEX ix_responses_attempt_id_question_id_id ON responses (attempt_id, question_id, id);

CREATE INDEX ix_responses_item_analysis ON responses (attempt_id, question_id, position, score, content_hash, answer_json);

CREATE INDEX ix_responses_question_id ON responses (question_id);

CREATE TABLE certificate_revocations (
	id SERIAL NOT NULL, 
	certificate_id INTEGER NOT NULL, 
	revoked_by INTEGER NOT NULL, 
	revoked_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	reason TEXT NOT NULL, 
	CONSTRAINT pk_certificate_revocations PRIMARY KEY (id), 
	CONSTRAINT fk_certificate_revocations_certificate_id FOREIGN KEY(certificate_id) REFERENCES certificates (id), 
	CONSTRAINT fk_certificate_revocations_revoked_by FOREIGN KEY(revoked_by) REFERENCES users (id)
);

CREATE INDEX ix_certificate_revocations_certificate_id ON certificate_revocations (certificate_id);

CREATE OR REPLACE FUNCTION refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only: write a new row instead'; END $$;

CREATE OR REPLACE TRIGGER attempts_append_only BEFORE UPDATE OR DELETE ON attempts FOR EACH ROW EXECUTE FUNCTION refuse_history_change();

CREATE OR REPLACE TRIGGER attempts_no_truncate BEFORE TRUNCATE ON attempts FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

CREATE OR REPLACE TRIGGER responses_append_only BEFORE UPDATE OR DELETE ON responses FOR EACH ROW EXECUTE FUNCTION refuse_history_change();

CREATE OR REPLACE TRIGGER responses_no_truncate BEFORE TRUNCATE ON responses FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

CREATE OR REPLACE TRIGGER attempt_results_append_only BEFORE UPDATE OR DELETE ON attempt_results FOR EACH ROW EXECUTE FUNCTION refuse_history_change();

CREATE OR REPLACE TRIGGER attempt_results_no_truncate BEFORE TRUNCATE ON attempt_results FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

CREATE OR REPLACE TRIGGER certificates_append_only BEFORE UPDATE OR DELETE ON certificates FOR EACH ROW EXECUTE FUNCTION refuse_history_change();

CREATE OR REPLACE TRIGGER certificates_no_truncate BEFORE TRUNCATE ON certificates FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

CREATE OR REPLACE TRIGGER certificate_revocations_append_only BEFORE UPDATE OR DELETE ON certificate_revocations FOR EACH ROW EXECUTE FUNCTION refuse_history_change();

CREATE OR REPLACE TRIGGER certificate_revocations_no_truncate BEFORE TRUNCATE ON certificate_revocations FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

CREATE OR REPLACE TRIGGER practical_signoffs_append_only BEFORE UPDATE OR DELETE ON practical_signoffs FOR EACH ROW EXECUTE FUNCTION refuse_history_change();

CREATE OR REPLACE TRIGGER practical_signoffs_no_truncate BEFORE TRUNCATE ON practical_signoffs FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

CREATE OR REPLACE TRIGGER lesson_reads_append_only BEFORE UPDATE OR DELETE ON lesson_reads FOR EACH ROW EXECUTE FUNCTION refuse_history_change();

CREATE OR REPLACE TRIGGER lesson_reads_no_truncate BEFORE TRUNCATE ON lesson_reads FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

CREATE OR REPLACE TRIGGER review_cards_append_only BEFORE UPDATE OR DELETE ON review_cards FOR EACH ROW EXECUTE FUNCTION refuse_history_change();

CREATE OR REPLACE TRIGGER review_cards_no_truncate BEFORE TRUNCATE ON review_cards FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

CREATE OR REPLACE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_history_change();

CREATE OR REPLACE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
