// One user of a database at a time, in the order they ask. The ORM smoke
// test, the running release's probe and the downgrade round trip all use the
// migrated head (the last one changes it, and puts it back): the probe runs
// in the base commit's process, so it takes its turn as soon as that process
// is ready, while the pull request's process goes on with what needs no turn
// (its models database).
export class OneAtATime {
  #last: Promise<unknown> = Promise.resolve();

  run<T>(use: () => Promise<T>): Promise<T> {
    const turn = this.#last.then(use);
    this.#last = turn.catch(() => undefined);
    return turn;
  }
}
