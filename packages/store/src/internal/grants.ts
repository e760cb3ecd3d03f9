/**
 * A statement that grants on `to` every privilege that roles other than the owner hold on
 * `from`, so a table swapped in keeps the rights of the service's role. Both names are
 * constants of this package, never user input.
 */
export const copyGrantsStatement = (from: string, to: string): string => `
do $$
declare grant_row record;
begin
  for grant_row in
    select a.privilege_type,
           case when a.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(a.grantee)) end as grantee
    from pg_class c, aclexplode(c.relacl) a
    where c.oid = '${from}'::regclass and a.grantee <> c.relowner
  loop
    execute format('grant %s on %I to %s', grant_row.privilege_type, '${to}', grant_row.grantee);
  end loop;
end
$$`
