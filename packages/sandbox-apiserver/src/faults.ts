/** Test switches that make the sandbox misbehave the way real API servers sometimes do. */
export class Faults {
  private failCode: number | undefined;
  private gone = false;
  private readonly droppers = new Set<() => void>();

  /** The HTTP status every request is answered with while set. */
  get failing(): number | undefined {
    return this.failCode;
  }

  /** Whether new watches are answered with an ERROR event carrying 410 Gone. */
  get goneActive(): boolean {
    return this.gone;
  }

  /** Close every open watch stream now (clients see the stream end and must re-watch). */
  dropWatches(): void {
    for (const drop of [...this.droppers]) drop();
  }

  /** Answer every new watch with an ERROR event carrying a 410 Status (true) or serve watches normally (false). */
  goneOnWatch(on: boolean): void {
    this.gone = on;
  }

  /** Answer every request with this HTTP status and a Status body, until called with undefined. */
  failWith(code: number | undefined): void {
    if (code !== undefined && !(Number.isInteger(code) && code >= 400 && code <= 599))
      throw new Error(`failWith wants an HTTP error status (400-599), got ${code}`);
    this.failCode = code;
  }

  /** Register an open watch's close function; returns the unregister function. */
  track(drop: () => void): () => void {
    this.droppers.add(drop);
    return () => this.droppers.delete(drop);
  }
}
