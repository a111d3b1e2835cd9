// Media links live under a minute and heartbeats renew them: every media request the player
// makes carries the newest `{expires}/{signature}`, whichever link its manifest came with.
export class MediaToken {
  private readonly pattern: RegExp;

  constructor(
    sessionId: string,
    private token: string,
  ) {
    this.pattern = new RegExp(`(/media/${sessionId}/)[0-9]+/[A-Za-z0-9_-]{22}/`);
  }

  renew(token: string): void {
    this.token = token;
  }

  /** `uri` with the current token if it is one of this session's media links, else as it is. */
  apply(uri: string): string {
    return uri.replace(this.pattern, `$1${this.token}/`);
  }
}
