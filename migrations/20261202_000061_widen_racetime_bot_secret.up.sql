-- Secrets at rest (issue 12): client secrets are stored sealed
-- ("v1:<key id>:<base64 nonce|ciphertext|tag>"), about 4/3 of the secret
-- plus 40 characters; a 255-character secret needs 392.
ALTER TABLE `racetime_bots`
    MODIFY COLUMN `client_secret` VARCHAR(512) NOT NULL COMMENT 'secret: sealed with RACECONTROL_SECRET_KEY, never logged';
