-- min_reader: 12
-- The device a session was made on, as its owner would name it ("Firefox on Android", from
-- the User-Agent at sign-in; never the whole header), shown on the account page beside when it
-- was last seen. NULL when the sign-in did not say.
ALTER TABLE sessions ADD COLUMN device text;
