import { blankLiterals, inspectStatement } from './statement';

describe('inspectStatement', () => {
  it('counts statements, ignoring `;` inside literals, identifiers and comments and a trailing `;`', () => {
    expect(inspectStatement("SELECT ';' AS a, `x;y` FROM t -- ; not here\n;").statements).toBe(1);
    expect(inspectStatement('SELECT 1 /* ; */ ; ').statements).toBe(1);
    expect(inspectStatement('SELECT 1; SELECT 2').statements).toBe(2);
    expect(inspectStatement("SELECT 'it''s; fine', \"a\\\";b\"").statements).toBe(1);
    expect(inspectStatement('  ').statements).toBe(0);
  });

  it('classifies by the first keyword', () => {
    expect(inspectStatement('(select 1)').kind).toBe('select');
    expect(inspectStatement('with x as (select 1) select * from x').kind).toBe('select');
    expect(inspectStatement('/* hint */ insert into t values (1)').kind).toBe('dml');
    expect(inspectStatement('REPLACE INTO t VALUES (1)').kind).toBe('dml');
    expect(inspectStatement('create table t (id int)').kind).toBe('ddl');
    expect(inspectStatement('BEGIN').kind).toBe('other');
    expect(inspectStatement('SET @a = 1').verb).toBe('SET');
  });

  it('does not see words inside strings', () => {
    expect(inspectStatement("INSERT INTO t VALUES ('FOREIGN KEY REFERENCES')").words.has('FOREIGN')).toBe(false);
    expect(blankLiterals("a 'b' c")).toBe('a     c');
  });
});
