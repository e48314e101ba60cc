// Who the token writes as, asked only when it matters: comments by bot
// accounts (GITHUB_TOKEN, GitHub Apps) are recognised without asking; a
// personal access token's comments are recognised by GET /user.
import type { Author } from './markers.ts';
import type { GitHubClient } from './client.ts';

export class Identity {
  readonly #client: GitHubClient;
  #login: Promise<string | null> | undefined;

  constructor(client: GitHubClient) {
    this.#client = client;
  }

  /** The token's user login, or null for installation tokens (GET /user is not allowed for them). */
  viewer(): Promise<string | null> {
    this.#login ??= this.#client.rest.users.getAuthenticated().then(
      (response) => response.data.login,
      () => null,
    );
    return this.#login;
  }

  /** Whether a comment's author may be this tool (a bot, or the token's own user). */
  async isOurs(user: Author | null | undefined): Promise<boolean> {
    if (user === null || user === undefined) return false;
    if (user.type === 'Bot') return true;
    return (await this.viewer()) === user.login;
  }
}
