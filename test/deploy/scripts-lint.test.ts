import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './fake-gcloud.js';

const SCRIPTS = ['deploy/gcp/deploy.sh', 'deploy/gcp/rollback.sh', 'deploy/gcp/lib.sh'];

describe('deploy scripts', () => {
  it('pass shellcheck', () => {
    const r = spawnSync('shellcheck', ['--external-sources', '--severity=style', ...SCRIPTS], { cwd: REPO, encoding: 'utf8' });
    // Deliberately not a skip: an unchecked script must not look like a passing one.
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
      expect.fail('shellcheck is not installed: install it (apt-get install -y shellcheck, brew install shellcheck) to lint deploy/gcp/*.sh');
    }
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  // Operators deploy from macOS (bash 3.2, BSD tools) as often as from Linux.
  it.each(SCRIPTS)('%s uses only portable tools and bash 3.2 features', (file) => {
    const code = readFileSync(path.join(REPO, file), 'utf8')
      .split('\n')
      .filter((line) => !line.trim().startsWith('#'))
      .join('\n');
    const forbidden: [RegExp, string][] = [
      [/\bsed\s+(-\w*\s+)*-i\b/, 'sed -i (differs between GNU and BSD)'],
      [/\breadlink\s+-f\b/, 'readlink -f (GNU only)'],
      [/\brealpath\b/, 'realpath (not on older macOS)'],
      [/\bgrep\s+(-\w+\s+)*-\w*P/, 'grep -P (GNU only)'],
      [/\bdate\s+(-\w+\s+)*-d\b/, 'date -d (GNU only)'],
      [/\bstat\s+-c\b/, 'stat -c (GNU only)'],
      [/\bxargs\s+-r\b/, 'xargs -r (GNU only)'],
      [/\b(tac|timeout)\s/, 'tac/timeout (GNU coreutils only)'],
      [/\b(mapfile|readarray)\b/, 'mapfile/readarray (bash 4)'],
      [/\bdeclare\s+-A\b|\blocal\s+-n\b/, 'associative arrays / namerefs (bash 4)'],
      [/\$\{\w+(,,|\^\^)\}/, 'case modification (bash 4)'],
    ];
    for (const [pattern, what] of forbidden) expect(code, what).not.toMatch(pattern);
    if (file !== 'deploy/gcp/lib.sh') expect(code).toMatch(/^set -euo pipefail$/m);
  });
});
