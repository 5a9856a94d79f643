/**
 * Failures of tariff sources. They are errors for the caller to handle (usually: use the safe fallback plan);
 * a source never turns a failure into made-up prices, because the original system once charged ~77 kWh at
 * peak price after an API error.
 */

export class TariffError extends Error {
  override name = 'TariffError';
}

/** Input that cannot be read as prices: a file or an answer in the wrong shape. Says where and what. */
export class TariffParseError extends TariffError {
  override name = 'TariffParseError';
  constructor(
    /** Where: a file name with line, or a source name with a field path. */
    readonly where: string,
    readonly problem: string,
  ) {
    super(`${where}: ${problem}`);
  }
}

/** A configuration that cannot work (unknown preset, invalid time zone, missing API key). */
export class TariffConfigError extends TariffError {
  override name = 'TariffConfigError';
}

/** A remote price source failed: network, timeout, HTTP error, or an error document. */
export class TariffSourceError extends TariffError {
  override name = 'TariffSourceError';
  constructor(
    readonly source: string,
    message: string,
    /** HTTP status, or 0 when no answer arrived. */
    readonly status: number = 0,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${message}`, options);
  }
  /** Worth retrying later: network errors, 429 and 5xx. */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/** The source answered, but has no prices for the requested range (e.g. before the day-ahead publication). */
export class TariffNoDataError extends TariffSourceError {
  override name = 'TariffNoDataError';
}
