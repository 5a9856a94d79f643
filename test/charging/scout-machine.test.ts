import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, DEFAULT_SCOUT_CONFIG, settle, type ScoutRecord } from '../../src/charging/scout-machine.js';
import { distanceM, isHome } from '../../src/charging/geo.js';
import type { VehicleSnapshot } from '../../src/tesla/vehicle-data.js';

const HOME = { lat: 52.2297, lon: 21.0122, radiusM: 150 };
const config = { ...DEFAULT_SCOUT_CONFIG, home: HOME };
const VIN = '5YJ3E7EB0KF000001';
const MIN = 60_000;
const T0 = Date.parse('2026-06-01T16:00:00Z');

const snap = (where: 'home' | 'away', plugged: boolean): VehicleSnapshot => ({
  vin: VIN, at: 0, batteryLevel: 50, chargingState: plugged ? 'Stopped' : 'Disconnected', chargeLimitSoc: 80, pluggedIn: plugged,
  location: where === 'home' ? { lat: HOME.lat + 0.0005, lon: HOME.lon } : { lat: 52.4, lon: 21.3 },
  chargeSchedules: [], preconditioningSchedules: [],
});

/** One Scout look, the way the tick does it: decide, read if asked, decide again. */
function look(prev: ScoutRecord | null, state: string, now: number, car: VehicleSnapshot | null) {
  const first = decide({ prev, vehicle: { vin: VIN, state }, now, config });
  if (!first.callVehicleData) return { ...first, read: false };
  return { ...decide({ prev, vehicle: { vin: VIN, state }, snapshot: car, now, config }), read: true };
}

describe('Scout decisions (state machine)', () => {
  it('home is a circle in metres (haversine), not degrees: 100 "units" do not make Europe home', () => {
    expect(distanceM(52.2297, 21.0122, 52.2297 + 0.001, 21.0122)).toBeCloseTo(111.2, 0);
    expect(isHome({ lat: 52.2297, lon: 21.0122, radiusM: 100 }, { lat: 48.85, lon: 2.35 })).toBe(false);
  });

  it('lesson: reads never wake — an asleep car is never read, whatever its record says', () => {
    fc.assert(
      fc.property(fc.constantFrom('asleep', 'offline'), fc.constantFrom('unknown', 'away', 'home_unplugged', 'home_plugged'), fc.integer({ min: 0, max: 10 * 86_400_000 }), (state, place, dt) => {
        const prev: ScoutRecord | null = place === 'unknown' ? null : { vin: VIN, place: place as ScoutRecord['place'], power: 'online', firstSeenAt: T0, lastSeenAt: T0, lastDataAt: T0, quietReads: 0, batteryLevel: 50, pending: null, targetsTriggered: [] };
        return decide({ prev, vehicle: { vin: VIN, state }, now: T0 + dt, config }).callVehicleData === false;
      }),
    );
  });

  it('first sight of a vehicle: read when online, trigger first_sight once', () => {
    const a = look(null, 'asleep', T0, null);
    expect(a).toMatchObject({ read: false, trigger: null });
    const b = look(a.record, 'online', T0 + 15 * MIN, snap('home', false));
    expect(b).toMatchObject({ read: true, trigger: 'first_sight' });
    const c = look(settle(b.record, true), 'online', T0 + 30 * MIN, snap('home', false));
    expect(c.trigger).toBeNull();
  });

  it('edge triggers, not levels: plugged in at home fires once; unplugged at home fires once', () => {
    let r = settle(look(null, 'online', T0, snap('home', false)).record, true);
    const plug = look(r, 'online', T0 + 15 * MIN, snap('home', true));
    expect(plug.trigger).toBe('plugged_in_home');
    r = settle(plug.record, true);
    const still = look({ ...r, power: 'asleep' }, 'online', T0 + 3 * 60 * MIN, snap('home', true));
    expect(still).toMatchObject({ read: true, trigger: null });
    const unplug = look(settle(still.record, true), 'online', T0 + 6 * 60 * MIN, snap('home', false));
    expect(unplug.trigger).toBe('unplugged_home');
  });

  it('coming home already plugged in (away → home_plugged) is a plug-in at home', () => {
    const r = settle(look(null, 'online', T0, snap('away', false)).record, true);
    expect(look({ ...r, power: 'asleep' }, 'online', T0 + 60 * MIN, snap('home', true)).trigger).toBe('plugged_in_home');
  });

  it('lets the car sleep: an online car that shows no change is read less and less often', () => {
    let r = settle(look(null, 'online', T0, snap('away', false)).record, true);
    const reads: number[] = [];
    for (let t = 15; t <= 240; t += 15) {
      const d = look(r, 'online', T0 + t * MIN, snap('away', false));
      if (d.read) reads.push(t);
      r = settle(d.record, true);
    }
    expect(reads.length).toBeLessThan(8);
  });

  it('lesson: a plug-in event is not lost when the Worker call fails — pending, retried, and it expires', () => {
    let r = settle(look(null, 'online', T0, snap('home', false)).record, true);
    const plug = look(r, 'online', T0 + 15 * MIN, snap('home', true));
    r = settle(plug.record, false);
    const retry = look({ ...r, power: 'asleep' }, 'asleep', T0 + 30 * MIN, null);
    expect(retry).toMatchObject({ trigger: 'plugged_in_home', retry: true, read: false });
    r = settle(retry.record, false);
    expect(r.pending?.attempts).toBe(2);
    const late = look(r, 'asleep', T0 + 15 * MIN + config.pendingTtlMs + MIN, null);
    expect(late.trigger).toBeNull();
    expect(late.expired?.reason).toBe('plugged_in_home');
    expect(late.record.pending).toBeNull();
  });

  it('a one-off target becoming due triggers once, even when the car is asleep', () => {
    const r = settle(look(null, 'online', T0, snap('home', true)).record, true);
    const targets = [{ id: 't1', readyBy: T0 + 30 * 60 * MIN }];
    const early = decide({ prev: r, vehicle: { vin: VIN, state: 'asleep' }, now: T0 + MIN, config, targets });
    expect(early.trigger).toBeNull();
    const due = decide({ prev: r, vehicle: { vin: VIN, state: 'asleep' }, now: T0 + 7 * 60 * MIN, config, targets });
    expect(due.trigger).toBe('target_due');
    const again = decide({ prev: settle(due.record, true), vehicle: { vin: VIN, state: 'asleep' }, now: T0 + 8 * 60 * MIN, config, targets });
    expect(again.trigger).toBeNull();
  });

  it('property: no trigger without a change of place, a due target or a pending retry', () => {
    const place = fc.constantFrom<['home' | 'away', boolean]>(['home', true], ['home', false], ['away', false]);
    fc.assert(
      fc.property(fc.array(fc.tuple(place, fc.constantFrom('online', 'asleep'), fc.integer({ min: 1, max: 120 })), { minLength: 1, maxLength: 30 }), (steps) => {
        let r: ScoutRecord | null = null;
        let t = T0;
        for (const [[where, plugged], state, dt] of steps) {
          t += dt * MIN;
          const before: ScoutRecord | null = r;
          const d = look(before, state, t, snap(where, plugged));
          if (d.read && state !== 'online') return false;
          if (d.trigger && !d.retry && before && before.place === d.record.place) return false;
          r = settle(d.record, true);
        }
        return true;
      }),
    );
  });
});
