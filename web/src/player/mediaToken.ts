// Media links live under a minute and heartbeats renew them: every media request the player
// makes carries the newest `{expires}/{signature}/{scope}`, whichever link its manifest came
// with (the scope narrows when the plan was downgraded meanwhile).
export class MediaToken {
  private readonly pattern: RegExp;

  constructor(
    sessionId: string,
    private token: string,
  ) {
    this.pattern = new RegExp(`(/media/${sessionId}/)[0-9]+/[A-Za-z0-9_-]{22}/[0-9]+(?:-[0-9]+)*/`);
  }

  renew(token: string): void {
    this.token = token;
  }

  /** `uri` with the current token if it is one of this session's media links, else as it is. */
  apply(uri: string): string {
    return uri.replace(this.pattern, `$1${this.token}/`);
  }
}
