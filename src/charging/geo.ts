/**
 * Home is a circle in METRES around a point. The original compared degrees with a radius of 100, which made
 * all of Europe "home"; haversine distance in metres cannot make that mistake.
 */
export interface HomeCircle {
  lat: number;
  lon: number;
  radiusM: number;
}

const EARTH_RADIUS_M = 6_371_000;

export function distanceM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

export function isHome(home: HomeCircle, at: { lat: number; lon: number }): boolean {
  return distanceM(home.lat, home.lon, at.lat, at.lon) <= home.radiusM;
}
