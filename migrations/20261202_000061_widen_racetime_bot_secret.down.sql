-- Refused (data too long) while a sealed secret longer than 255 characters
-- is stored: decrypting them is not something SQL can do. Restore the
-- secrets from the configuration first (or delete those bots).
ALTER TABLE `racetime_bots`
    MODIFY COLUMN `client_secret` VARCHAR(255) NOT NULL COMMENT 'secret: never logged';
