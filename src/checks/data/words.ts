// Numbers in messages: 1,204 rows; 12.4 M rows; 3.1 GB; about 4 min.

export function count(n: number | null): string {
  return n === null ? 'some' : n.toLocaleString('en-US');
}

export function plural(n: number, word: string): string {
  return `${count(n)} ${n === 1 ? word : `${word}s`}`;
}
