import type { IncomingHttpHeaders } from 'node:http';

/** The field Cloud Logging reads to group a request's log lines under its trace. */
export const TRACE_FIELD = 'logging.googleapis.com/trace';

const HEX32 = /^[0-9a-f]{32}$/i;

/**
 * The trace id of a request, from Google's `X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1` or the W3C
 * `traceparent: 00-TRACE_ID-SPAN_ID-FLAGS` (Cloud Run forwards both). Anything malformed is ignored: the
 * header comes from the caller, and a log field must not become a way to inject text.
 */
export function traceIdOf(headers: IncomingHttpHeaders): string | null {
  const cloud = first(headers['x-cloud-trace-context'])?.split('/')[0]?.trim();
  if (cloud && HEX32.test(cloud) && !/^0+$/.test(cloud)) return cloud.toLowerCase();
  const parts = first(headers.traceparent)?.trim().split('-');
  const w3c = parts?.length === 4 ? parts[1] : undefined;
  if (w3c && HEX32.test(w3c) && !/^0+$/.test(w3c)) return w3c.toLowerCase();
  return null;
}

/** Log bindings that put a request's lines under its trace in Cloud Logging; empty without a project or trace. */
export function traceBindings(headers: IncomingHttpHeaders, project: string | undefined): Record<string, string> {
  if (!project) return {};
  const traceId = traceIdOf(headers);
  return traceId ? { [TRACE_FIELD]: `projects/${project}/traces/${traceId}` } : {};
}

const first = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);
