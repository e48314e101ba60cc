"""Opening the project: the Alembic configuration, its scripts and the revision graph."""

from __future__ import annotations

import argparse
import ast
import configparser
import importlib
import os
import re
import sys
import warnings

from . import flask_app, redirect

from .causes import classify
from .frames import innermost_frame
from .known import known_revisions
from .protocol import BridgeError, UnsafeDatabase
from .rebase import rebase_imports
from .source import check_ini_file, check_version_locations, read_python_source
from .url_env import prepare_url_env
from .stack import check_versions, choose_driver, import_stack

VERSION_TABLE_DEFAULT = "alembic_version"
# Alembic's multidb template: per-name upgrade tokens.
_MULTIDB = re.compile(r"upgrade_token\s*=")
# env.py that sets the script's version locations when it runs (by dialect, say).
_SETS_VERSION_LOCATIONS = re.compile(r"\.version_locations\s*=(?!=)")


class Project(object):
    def __init__(self):
        self.config = None
        self.script = None
        self.version_dirs = []
        self.revision_paths = set()  # the revision files load found (real paths): what facts reads
        self.env_py = None
        # env.py's target_metadata global as of the last run (see ConfigureSpy).
        self.module_metadata = None
        self.driver = None
        self.configure = None  # the kwargs env.py last passed to context.configure()
        self.metadatas = []  # target_metadata, once the models command ran
        self.models_configure = None  # what env.py passed to configure() in the models command's run
        self.ini_section = None  # the named section chosen for the user, if one was
        self.tenant_schema = None  # tenant-schema: where the schema-less models go
        self.engine = None  # multidb: the one database (engine name) this process reviews

    def schema_translate_map(self):
        """Execution option for the project's schema-less models: into the tenant schema (tenant-schema), else none."""
        return {None: self.tenant_schema} if self.tenant_schema else None

    def default_schema(self):
        """The schema unqualified names go to: the tenant schema (first on every database's search_path), or public."""
        return self.tenant_schema or "public"


NOTES = []  # what the load decided for the user, for the progress output


PROJECT = Project()

def _factory_config(spec):
    """The Config a "package.module:function" returns."""
    from alembic.config import Config

    module_name, _, function_name = spec.partition(":")
    if not module_name or not function_name:
        raise BridgeError("project", 'config-factory must look like "package.module:function"; got %r' % spec)
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())
    try:
        module = importlib.import_module(module_name)
        factory = getattr(module, function_name)
    except ImportError as error:
        raise BridgeError(
            "project", "config-factory %s: cannot import %s (%s)" % (spec, module_name, error), cause="module",
            module=getattr(error, "name", None),
        )
    except AttributeError:
        raise BridgeError("project", "config-factory %s: %s has no function %s" % (spec, module_name, function_name))
    config = factory()
    if not isinstance(config, Config):
        raise BridgeError(
            "project",
            "config-factory %s returned %s, not an alembic.config.Config" % (spec, type(config).__name__),
        )
    return config


def _ini_sections(config_file):
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(config_file, encoding="utf-8")
    except configparser.Error:
        return []
    return [s for s in parser.sections() if parser.has_option(s, "script_location")]


# A template the project fills in code before use: script_location = {alembic_dir}.
_PLACEHOLDER = re.compile(r"\{\w*\}")


def _alembic_environments(directory):
    """Directories next to the ini that hold an Alembic environment (env.py and script.py.mako)."""
    found = []
    for name in sorted(os.listdir(directory)):
        candidate = os.path.join(directory, name)
        if os.path.isfile(os.path.join(candidate, "env.py")) and os.path.isfile(
            os.path.join(candidate, "script.py.mako")
        ):
            found.append(candidate)
    return found


def _holds(locations, files):
    return [f for f in files if any(f == d or f.startswith(d + os.sep) for d in locations)]


def _located_config(config, config_file, section, location, changed_files):
    """The Config when the chosen section names no usable script_location: the
    directory of a Flask-Migrate ini, the one Alembic environment next to a
    template ini, or the one named section that holds the change's revisions."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    directory = os.path.dirname(os.path.abspath(config_file))
    if not location and os.path.exists(os.path.join(directory, "env.py")):
        # Flask-Migrate's migrations/alembic.ini: the directory is the script location.
        config.set_main_option("script_location", directory)
        return config
    if location:
        environments = _alembic_environments(directory)
        if len(environments) != 1:
            raise BridgeError(
                "project",
                "%s is a template (script_location = %s, filled in by the project's code) and %s next to it: "
                "pass --config-factory package.module:function with a function that returns the Config"
                % (
                    config_file, location,
                    "no directory with an env.py is" if not environments
                    else "several directories with an env.py are (%s)" % ", ".join(environments),
                ),
            )
        config.set_main_option("script_location", environments[0])
        NOTES.append(
            "%s is a template (script_location = %s, filled in by the project's code): using %s, the Alembic "
            "environment next to it" % (os.path.basename(config_file), location, os.path.relpath(environments[0]))
        )
        return config
    sections = _ini_sections(config_file)
    if not sections:
        return config
    if len(sections) == 1:
        chosen = sections[0]
        NOTES.append("%s has one section with a script_location, [%s]: reviewing it" % (config_file, chosen))
    else:
        changed = [os.path.realpath(f) for f in changed_files]
        holding = []
        for name in sections:
            try:
                named = ScriptDirectory.from_config(Config(config_file, ini_section=name))
            except Exception:
                continue
            if _holds(_version_locations(named), changed):
                holding.append(name)
        listed = ", ".join("[%s]" % s for s in sections)
        if len(holding) > 1:
            raise BridgeError(
                "project",
                "%s has no [%s] section with a script_location, and the change touches revisions of %s: review "
                "each in a run of its own, with %s"
                % (config_file, section, ", ".join("[%s]" % s for s in holding),
                   " and ".join("--name %s" % s for s in holding)),
            )
        if not holding:
            raise BridgeError(
                "project",
                "%s has no [%s] section with a script_location; its sections with one are %s, and the change "
                "touches no revision of any of them. Pass the one to review with --name SECTION (ini-section)"
                % (config_file, section, listed),
            )
        chosen = holding[0]
        NOTES.append(
            "%s has the sections %s: reviewing [%s], whose version locations hold the change's revision files "
            "(--name picks another)" % (os.path.basename(config_file), listed, chosen)
        )
    PROJECT.ini_section = chosen
    located = Config(config_file, ini_section=chosen)
    located.cmd_opts = config.cmd_opts
    return located


def _make_config(args):
    from alembic.config import Config

    config_file = args.get("configFile")
    toml_file = args.get("tomlFile")
    check_ini_file(config_file)
    section = args.get("iniSection") or "alembic"
    if args.get("configFactory"):
        config = _factory_config(args["configFactory"])
    elif toml_file:
        try:
            config = Config(config_file or None, toml_file=toml_file, ini_section=section)
        except TypeError:
            raise BridgeError(
                "project",
                "pyproject.toml has [tool.alembic] but Alembic %s does not read it (needs Alembic >= 1.16)"
                % __import__("alembic").__version__,
            )
    else:
        config = Config(config_file, ini_section=section)
    location = _script_option(config, "script_location")
    if config_file and not args.get("configFactory") and (not location or _PLACEHOLDER.search(location)):
        config = _located_config(config, config_file, section, location, args.get("changedFiles") or [])
    if config.cmd_opts is None:
        config.cmd_opts = argparse.Namespace()
    # -x key=value, read by env.py through context.get_x_argument().
    config.cmd_opts.x = list(args.get("xArgs") or [])
    # As alembic's command line sets it, (function, positional, keyword names): some env.py files
    # test which command runs (e.g. to stop after one schema when it is "revision").
    if not hasattr(config.cmd_opts, "cmd"):
        config.cmd_opts.cmd = (None, [], [])
    # env.py checks this to decide between online and offline mode.
    config.attributes["alembic_review"] = True
    return config


def _main_option(config, name):
    from alembic.util import CommandError

    try:
        return config.get_main_option(name)
    except CommandError:
        return None


def _script_option(config, name):
    from alembic.util import CommandError

    getter = getattr(config, "get_alembic_option", None)
    try:
        if getter is not None:
            return getter(name)
        return config.get_main_option(name)
    except CommandError:  # the config file has no such section
        return None


def _version_locations(script):
    locations = getattr(script, "_version_locations", None) or [os.path.join(script.dir, "versions")]
    return [os.path.realpath(str(p)) for p in locations]


def as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    return [value]


def _module_function(tree, name):
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    return None


def _op_calls(function):
    """(call node, op name, whether it is a batch_op call) of each op.X() / batch_op.X() in a function."""
    for sub in ast.walk(function):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute):
            base = sub.func.value
            if isinstance(base, ast.Name) and base.id in ("op", "batch_op"):
                yield sub, sub.func.attr, base.id == "batch_op"


def _function_ops(tree, name):
    """(called op names, body is only pass/docstring) of a module-level function."""
    node = _module_function(tree, name)
    if node is None:
        return [], True, None
    ops = [{"op": ("batch." if batch else "") + op, "line": call.lineno} for call, op, batch in _op_calls(node)]
    trivial = all(
        isinstance(stmt, ast.Pass)
        or (isinstance(stmt, ast.Expr) and isinstance(getattr(stmt, "value", None), ast.Constant))
        for stmt in node.body
    )
    return ops, trivial, node.lineno


# Operations that cannot fail because of the rows a table already holds (the
# others, and any that is not named here, may: NOT NULL, unique, foreign and
# check constraints, type changes, data written by execute()).
_ROWS_CANNOT_BREAK = {
    "create_table",
    "drop_table",
    "rename_table",
    "drop_column",
    "drop_index",
    "drop_constraint",
    "create_table_comment",
    "drop_table_comment",
    "f",
    # A context manager: the batch_op calls inside it are what runs.
    "batch_alter_table",
}


def _keywords(call):
    """Every keyword argument in a call and the calls inside it (the sa.Column of an add_column)."""
    return [keyword for sub in ast.walk(call) if isinstance(sub, ast.Call) for keyword in sub.keywords]


def _constant(call, name):
    for keyword in _keywords(call):
        if keyword.arg == name and isinstance(keyword.value, ast.Constant):
            return keyword.value.value
    return None


def _rows_can_break(call, name):
    """Whether an op call may fail on the rows already in its table."""
    if name in _ROWS_CANNOT_BREAK:
        return False
    if name == "add_column":
        unique = _constant(call, "primary_key") is True or _constant(call, "unique") is True
        filled = any(keyword.arg == "server_default" for keyword in _keywords(call))
        return unique or (_constant(call, "nullable") is False and not filled)
    if name == "create_index":
        return _constant(call, "unique") is True
    return True


def _rows_matter(tree):
    """Whether any op call of upgrade() may fail on existing rows (unknown: True)."""
    node = _module_function(tree, "upgrade")
    return node is None or any(_rows_can_break(call, op) for call, op, _batch in _op_calls(node))


def _static_facts(path):
    try:
        tree = ast.parse(read_python_source(path), filename=path)
    except SyntaxError:
        return {}
    up_ops, up_trivial, up_line = _function_ops(tree, "upgrade")
    down_ops, down_trivial, down_line = _function_ops(tree, "downgrade")
    return {
        "upgradeOps": up_ops,
        "upgradeEmpty": up_trivial,
        "upgradeLine": up_line,
        "downgradeOps": down_ops,
        "downgradeEmpty": down_trivial,
        "downgradeLine": down_line,
        "upgradeMayFailOnRows": _rows_matter(tree),
    }


def _graph_problems(scripts):
    """Duplicate ids, dangling down_revisions and cycles, named by file."""
    by_id = {}
    problems = []
    for s in scripts:
        if s.revision in by_id:
            problems.append(
                "revision id %s is declared twice: %s and %s" % (s.revision, by_id[s.revision].path, s.path)
            )
        else:
            by_id[s.revision] = s
    labels = set()
    for s in scripts:
        labels.update(as_list(s.branch_labels))

    def resolvable(ref):
        if ref in by_id or ref in labels:
            return True
        return len([r for r in by_id if r.startswith(ref)]) == 1

    for s in scripts:
        for parent in as_list(s.down_revision):
            if parent not in by_id:
                problems.append(
                    "%s: down_revision %r does not exist (no revision file declares it)" % (s.path, parent)
                )
        for dep in as_list(getattr(s, "dependencies", None)):
            if not resolvable(dep):
                problems.append("%s: depends_on %r does not exist" % (s.path, dep))
    # Cycle detection over down_revision edges (iterative DFS).
    state = {}
    for start in by_id:
        if state.get(start):
            continue
        stack = [(start, iter(as_list(by_id[start].down_revision)))]
        state[start] = 1
        path = [start]
        while stack:
            node, children = stack[-1]
            advanced = False
            for child in children:
                if child not in by_id:
                    continue
                if state.get(child) == 1:
                    cycle = path[path.index(child):] + [child]
                    problems.append(
                        "the down_revision chain has a cycle: %s"
                        % " -> ".join("%s (%s)" % (r, by_id[r].path) for r in cycle)
                    )
                    continue
                if not state.get(child):
                    state[child] = 1
                    path.append(child)
                    stack.append((child, iter(as_list(by_id[child].down_revision))))
                    advanced = True
                    break
            if not advanced:
                state[node] = 2
                path.pop()
                stack.pop()
    return problems


def cmd_load(args, _emit):
    del NOTES[:]
    PROJECT.tenant_schema = args.get("tenantSchema") or None
    PROJECT.engine = args.get("engine") or None
    rebase = args.get("rebase")
    if rebase:
        rebase_imports(rebase["from"], rebase["to"])
    import_stack()
    check_versions()
    check_ini_file(args.get("configFile"))
    # Before any of the project's code is imported: its engines, wherever
    # they are made, and its url-env variables point at no database yet.
    redirect.install()
    # dotenv: like docker compose's env_file, what the environment sets wins.
    for name, value in (args.get("environment") or {}).items():
        os.environ.setdefault(name, value)
    prepare_url_env(args.get("urlEnv") or [], args.get("configFile"))
    from alembic.script import ScriptDirectory

    config = _make_config(args)
    script_location = _script_option(config, "script_location")
    if not script_location:
        raise BridgeError("project", "the Alembic configuration has no script_location")
    try:
        script = ScriptDirectory.from_config(config)
    except Exception as error:
        raise BridgeError("project", "cannot open the migration scripts: %s" % error)
    env_py = os.path.join(script.dir, "env.py")
    if not os.path.exists(env_py):
        raise BridgeError("project", "%s does not exist: the script_location has no env.py" % env_py)

    env_text = read_python_source(env_py, "project")
    engines = _multidb_engines(config) if _MULTIDB.search(env_text) else []
    if PROJECT.engine is not None and PROJECT.engine not in engines:
        raise BridgeError(
            "project",
            "engine %s: env.py migrates %s"
            % (
                PROJECT.engine,
                "the databases %s (the databases option of the ini)" % ", ".join(engines)
                if engines
                else "one database (it is not Alembic's multidb template)",
            ),
        )
    # Like `flask db`: .flaskenv and sys.path before the revision files are
    # loaded (they often import the app's package); the app itself is created
    # later, in a database of its own (the flask-app command).
    flask = flask_app.uses_flask(env_text, args.get("flaskApp"))
    if flask:
        flask_app.prepare(args.get("flaskApp"))
    configured_url = _main_option(config, "sqlalchemy.url")
    driver = choose_driver(configured_url, env_text, args.get("driver"))
    if _SETS_VERSION_LOCATIONS.search(env_text):
        from .runner import probe_version_locations

        probe_version_locations(config, script, driver)

    check_version_locations(
        _version_locations(script), str(_script_option(config, "recursive_version_locations")).lower() == "true"
    )
    scripts = []
    known = []
    try:
        with warnings.catch_warnings(), known_revisions(args.get("knownRevisions") or {}, known):
            warnings.simplefilter("ignore")
            for s in script._load_revisions():
                scripts.append(s)
    except SyntaxError as error:
        raise BridgeError(
            "graph",
            "syntax error in revision file %s, line %s: %s" % (error.filename, error.lineno, error.msg),
            file=error.filename,
            line=error.lineno,
        )
    except UnsafeDatabase as error:
        raise BridgeError("unsafe-database", str(error))
    except Exception as error:
        frame = innermost_frame(sys.exc_info()[2], _version_locations(script))
        where = "%s, line %s: " % frame if frame else ""
        raise BridgeError(
            "graph",
            "cannot load a revision file: %s%s: %s" % (where, type(error).__name__, error),
            file=frame[0] if frame else None,
            line=frame[1] if frame else None,
            **classify(error)
        )
    problems = _graph_problems(scripts)
    if problems:
        raise BridgeError("graph", "the revision graph is broken: " + "; ".join(problems))
    # Alembic's revision map from the scripts already loaded: importing every
    # revision file twice costs seconds on a long history.
    from alembic.script.revision import RevisionMap

    script.revision_map = RevisionMap(lambda: iter(scripts))
    try:
        heads = list(script.get_heads())
    except Exception as error:
        raise BridgeError("graph", "the revision graph is broken: %s" % error)

    PROJECT.config = config
    PROJECT.script = script
    PROJECT.version_dirs = _version_locations(script)
    PROJECT.env_py = os.path.realpath(env_py)
    PROJECT.driver = driver

    revisions = []
    PROJECT.revision_paths = set(os.path.realpath(s.path) for s in scripts)
    static_facts = args.get("staticFacts", True)
    for s in scripts:
        entry = {
            "id": s.revision,
            "path": os.path.realpath(s.path),
            "downRevisions": as_list(s.down_revision),
            "dependsOn": as_list(getattr(s, "dependencies", None)),
            "branchLabels": as_list(s.branch_labels),
            "message": (s.doc or "").strip(),
        }
        if static_facts:
            entry.update(_static_facts(s.path))
        revisions.append(entry)
    return {
        "scriptLocation": os.path.realpath(script.dir),
        "versionLocations": PROJECT.version_dirs,
        "envPy": PROJECT.env_py,
        "heads": heads,
        "driver": driver,
        "flask": flask,
        "revisions": revisions,
        "notes": list(NOTES),
        "iniSection": PROJECT.ini_section,
        "engines": engines,
        "known": len(known),
    }


def _multidb_engines(config):
    """The engine names of Alembic's multidb template: its ini's databases option."""
    names = _main_option(config, "databases") or ""
    return [name for name in re.split(r"[,\s]+", names) if name]


def cmd_facts(args, _emit):
    """The static facts of the given revision files (load leaves them out when
    asked: on a long history, reading every file's operations costs a tenth
    of a second, and a review needs those of the revisions it replays)."""
    loaded = require_project().revision_paths
    return {"facts": {path: _static_facts(path) for path in args.get("paths") or [] if path in loaded}}


def require_project():
    if PROJECT.script is None:
        raise BridgeError("protocol", "load must come before this command")
    return PROJECT
