/** What the desktop app remembers between runs (userData/state.json): recent files, first run. */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface Stored {
  recent: string[];
  demoShown: boolean;
}

const MAX_RECENT = 10;

export class AppState {
  private data: Stored = { recent: [], demoShown: false };
  private readonly file: string;

  constructor(userData: string) {
    this.file = join(userData, 'state.json');
    try {
      const raw = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<Stored>;
      this.data = {
        recent: Array.isArray(raw.recent) ? raw.recent.filter((p): p is string => typeof p === 'string') : [],
        demoShown: raw.demoShown === true,
      };
    } catch {
      /* first run or unreadable: start fresh */
    }
  }

  get firstRun(): boolean {
    return !this.data.demoShown;
  }

  markDemoShown(): void {
    this.data.demoShown = true;
    this.write();
  }

  recent(): string[] {
    return this.data.recent.filter((p) => existsSync(p));
  }

  addRecent(path: string): void {
    this.data.recent = [path, ...this.data.recent.filter((p) => p !== path)].slice(0, MAX_RECENT);
    this.write();
  }

  clearRecent(): void {
    this.data.recent = [];
    this.write();
  }

  private write(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 2));
    renameSync(tmp, this.file);
  }
}
