// The bridge finds the line of each column of a model in the source (by
// reading it, not importing it), so that drift findings point at the
// Column(...) / mapped_column(...) line: declarative classes, SQLAlchemy 2's
// Mapped[] annotations, SQLModel fields, Core Table(...) calls, and columns
// whose database name differs from the attribute.
import path from 'node:path';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { ROOT, VENV } from '../helpers/alembic-project.ts';

const SOURCE = `
class Post(Base):
    __tablename__ = "posts"
    id = Column(Integer, primary_key=True)
    body = sa.Column(
        "content",
        Text,
    )
    title: Mapped[str] = mapped_column(String(200))
    subtitle: Mapped[str]
    author = relationship("User")


class Hero(SQLModel, table=True):
    id: int = Field(default=None, primary_key=True)
    name: str


log = Table("log", metadata, Column("id", Integer), sa.Column("message", Text))
`;

test('column lines of classes and tables', async () => {
  const script = `
import ast, json, sys
sys.path.insert(0, ${JSON.stringify(path.join(ROOT, 'src/bridge'))})
from alembic_review_bridge.model_scan import _column_lines
tree = ast.parse(sys.stdin.read())
found = {}
for node in ast.walk(tree):
    if isinstance(node, ast.ClassDef):
        found[node.name] = _column_lines(node)
    elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Table":
        found["log"] = _column_lines(node)
# The bridge keeps stdout for its protocol: the answer goes to stderr.
sys.stderr.write(json.dumps(found))
`;
  const result = await execa(path.join(VENV, 'bin/python'), ['-c', script], { input: SOURCE });
  expect(JSON.parse(result.stderr)).toEqual({
    Post: { id: 4, content: 5, title: 9, subtitle: 10 },
    Hero: { id: 15, name: 16 },
    log: { id: 19, message: 19 },
  });
});
