import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { Region } from './options.js';

/**
 * Identifiers and secrets. Everything secret comes from node:crypto so that simulator tokens are as
 * unguessable as real ones: tests that "guess" a token must fail for the right reason.
 */

export const sha256Hex = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

/** Tesla refresh tokens carry a region prefix (`EU_…`, `NA_…`); the rest is long and random. */
export const newRefreshToken = (region: Region): string => `${region}_${randomBytes(48).toString('hex')}`;

export const newAuthorizationCode = (region: Region): string => `${region}_${randomBytes(24).toString('hex')}`;

export const newAccountId = (): string => `acct_${randomBytes(8).toString('hex')}`;

export const newClientId = (): string => randomBytes(16).toString('hex');

export const newFaultId = (): string => `fault_${randomBytes(6).toString('hex')}`;

/** 17 characters, recognisably simulated: `5YJ3SIM` + 10 digits. */
export const newVin = (): string => `5YJ3SIM${String(randomInt(0, 1e10)).padStart(10, '0')}`;

/** Tesla vehicle ids are large integers (beyond 32 bits, within JSON's safe range). */
export const newVehicleId = (): number => 1_000_000_000_000 + randomInt(0, 2 ** 40);
