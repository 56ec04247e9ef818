using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Witness.Privacy;
using Witness.Search;
using Witness.Storage.Sqlite;
using Witness.Storage.Tests.Conformance;

namespace Witness.Storage.Tests.Sqlite;

/// <summary>
/// Split rows on SQLite (migration 029, docs/erasure.md): an erasure changes only the side rows of the subject's events,
/// never an events row, and the free-text blocks it leaves stale are written again behind it; a log stored in the old
/// layout keeps reading, verifying and erasing beside split events.
/// </summary>
public sealed class SqliteSplitRowsTests : IDisposable
{
    private const string Email = "zoe.quixby@example.com";
    private readonly string _folder = TempFolder.Create("witness-split-rows");

    private string DatabasePath => SqliteStoreOptions.InFolder(_folder).DatabasePath;

    private async Task<SqliteStore> OpenAsync()
    {
        var store = new SqliteStore(new SqliteStoreOptions { DatabasePath = DatabasePath, TextBlockEvents = 8 });
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    private static JsonObject SubjectEvent(string tenant) => Submit.Event(tenant, change: e =>
    {
        e["actor"] = new JsonObject { ["type"] = "user", ["id"] = "u_zoe", ["name"] = "Zoe Quixby", ["email"] = Email };
        e["context"] = new JsonObject { ["ip"] = "198.51.100.77", ["user_agent"] = "ZoeBrowser/2.0" };
    });

    /// <summary>Every column of every events row, as hex, in rid order.</summary>
    private async Task<List<string>> EventRowsAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT hex(rid) || hex(body) || hex(personal) || hex(actor_email) || hex(ip) || hex(search_text) || hex(content_digest) || hex(hash) FROM events ORDER BY rid";
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private bool FilesHold(string text)
    {
        var needle = Encoding.UTF8.GetBytes(text);
        return new[] { DatabasePath, DatabasePath + "-wal" }.Where(File.Exists).Any(f => File.ReadAllBytes(f).AsSpan().IndexOf(needle) >= 0);
    }

    [Fact]
    public async Task An_erasure_writes_no_events_row_and_the_blocks_it_leaves_stale_are_written_again_without_the_value()
    {
        var tenant = Submit.Tenant();
        await using (var store = await OpenAsync())
        {
            await store.AppendManyAsync(tenant, 60, i => i % 5 == 2 ? SubjectEvent(tenant) : Submit.Event(tenant));
            var search = SearchQueryParser.Parse("quixby", TimeZoneInfo.Utc);
            Assert.Equal(12, (await store.SearchAsync(tenant, search, 50, null, CancellationToken.None)).Events.Count);
            Assert.Equal(12, (await store.SearchAsync(tenant, SearchQueryParser.Parse("ip:198.51.100.0/24", TimeZoneInfo.Utc), 50, null, CancellationToken.None)).Events.Count);
            var rows = await EventRowsAsync();
            Assert.Equal(60, await ScalarAsync("SELECT count(*) FROM event_personal"));
            Assert.True(FilesHold(Email));

            var count = await ((IPersonalDataStore)store).EraseSubjectAsync(tenant, ErasureSubject.ByEmail(Email), CancellationToken.None);

            Assert.Equal(12, count.Events);
            Assert.Equal(rows, await EventRowsAsync());
            Assert.Equal(48, await ScalarAsync("SELECT count(*) FROM event_personal"));
            Assert.True(await ScalarAsync("SELECT count(*) FROM stale_text_blocks") > 0);
            Assert.False(FilesHold(Email));
            Assert.False(FilesHold("Zoe Quixby"));
            Assert.Empty((await store.SearchAsync(tenant, search, 50, null, CancellationToken.None)).Events);
            Assert.Empty((await store.SearchAsync(tenant, SearchQueryParser.Parse("ip:198.51.100.0/24", TimeZoneInfo.Utc), 50, null, CancellationToken.None)).Events);
            var erased = (await store.FindBySeqAsync(tenant, 3, CancellationToken.None))!;
            Assert.Equal(Events.PersonalValues.Erased, erased.Event.Actor.Email);
            Assert.Equal("u_zoe", erased.Event.Actor.Id);

            var stale = await ScalarAsync("SELECT count(*) FROM stale_text_blocks");
            Assert.Equal(2, await store.RebuildStaleTextBlocksAsync(tenant, 2, CancellationToken.None));
            Assert.Equal(stale - 2, await ScalarAsync("SELECT count(*) FROM stale_text_blocks"));
            Assert.Equal(stale - 2, await store.RebuildStaleTextBlocksAsync(tenant, 256, CancellationToken.None));

            Assert.Equal(0, await ScalarAsync("SELECT count(*) FROM stale_text_blocks"));
            Assert.Equal(0, await store.RebuildStaleTextBlocksAsync(tenant, 256, CancellationToken.None));
            Assert.Empty((await store.SearchAsync(tenant, search, 50, null, CancellationToken.None)).Events);
            Assert.Equal(48, (await store.SearchAsync(tenant, SearchQueryParser.Parse("\"Ada Admin\"", TimeZoneInfo.Utc), 50, null, CancellationToken.None)).Events.Count);
            Assert.Equal(12, (await store.SearchAsync(tenant, SearchQueryParser.Parse("u_zoe", TimeZoneInfo.Utc), 50, null, CancellationToken.None)).Events.Count);
            Assert.False(FilesHold(Email));
        }
    }

    [Fact]
    public async Task A_log_stored_in_the_old_layout_reads_verifies_and_erases_beside_split_events()
    {
        var tenant = Submit.Tenant();
        await using (var store = await OpenAsync())
        {
            await store.AppendManyAsync(tenant, 20, i => i % 2 == 0 ? SubjectEvent(tenant) : Submit.Event(tenant));
        }

        // The first 20 rows made as main's layout wrote them (before migration 029): the values in the body, the salts in
        // the personal column, the email, IP and whole search text in the row, no side row.
        await using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using (var pragma = connection.CreateCommand())
            {
                pragma.CommandText = "PRAGMA secure_delete=ON";
                await pragma.ExecuteNonQueryAsync();
            }

            var rows = new List<(long Rid, byte[] Body, byte[] Record)>();
            await using (var read = connection.CreateCommand())
            {
                read.CommandText = "SELECT e.rid, e.body, e.personal, p.record FROM events e LEFT JOIN event_personal p ON p.rid = e.rid";
                await using var reader = await read.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    var (body, record) = Events.PersonalSplit.Join(reader.GetFieldValue<byte[]>(1), reader.GetFieldValue<byte[]>(2), reader.IsDBNull(3) ? null : reader.GetFieldValue<byte[]>(3));
                    rows.Add((reader.GetInt64(0), body, record));
                }
            }

            foreach (var (rid, body, record) in rows)
            {
                var keys = EventIndexKeys.From(Events.CanonicalEvent.Read(body));
                await using var write = connection.CreateCommand();
                write.CommandText = "UPDATE events SET body = $body, personal = $personal, actor_email = $email, ip = $ip, search_text = $text WHERE rid = $rid";
                write.Parameters.AddWithValue("$body", body);
                write.Parameters.AddWithValue("$personal", record);
                write.Parameters.AddWithValue("$email", (object?)keys.ActorEmail ?? DBNull.Value);
                write.Parameters.AddWithValue("$ip", (object?)keys.Ip ?? DBNull.Value);
                write.Parameters.AddWithValue("$text", keys.SearchText);
                write.Parameters.AddWithValue("$rid", rid);
                await write.ExecuteNonQueryAsync();
            }

            await using var clear = connection.CreateCommand();
            clear.CommandText = "DELETE FROM event_personal; INSERT INTO unsplit_logs (tenant_id, through_seq) SELECT id, log_size FROM tenants";
            await clear.ExecuteNonQueryAsync();
        }

        using var key = Integrity.SigningKey.FromPem(System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem(), "witness");
        await using (var store = await OpenAsync())
        {
            await store.AppendManyAsync(tenant, 20, i => i % 2 == 0 ? SubjectEvent(tenant) : Submit.Event(tenant));
            Assert.Equal(10, await ScalarAsync("SELECT count(*) FROM event_personal WHERE subject = 'i:u_zoe'"));
            Assert.Equal(20, (await store.SearchAsync(tenant, SearchQueryParser.Parse($"actor:{Email}", TimeZoneInfo.Utc), 50, null, CancellationToken.None)).Events.Count);
            Assert.Equal(20, (await store.SearchAsync(tenant, SearchQueryParser.Parse("quixby", TimeZoneInfo.Utc), 50, null, CancellationToken.None)).Events.Count);
            Assert.Equal("Zoe Quixby", (await store.FindBySeqAsync(tenant, 1, CancellationToken.None))!.Event.Actor.Name);
            Assert.Equal("Zoe Quixby", (await store.FindBySeqAsync(tenant, 21, CancellationToken.None))!.Event.Actor.Name);
            await new Checkpoints.CheckpointIssuer(store, key, TimeProvider.System).IssueAsync(tenant, CancellationToken.None);
            var before = await new Verification.ChainVerifier(store, key.Key, key.KeyName).VerifyAsync(tenant, CancellationToken.None);
            Assert.True(before.Ok, before.Problem);

            var count = await ((IPersonalDataStore)store).EraseSubjectAsync(tenant, ErasureSubject.ByEmail(Email), CancellationToken.None);

            Assert.Equal(new ErasureCount(20, 0), count);
            Assert.Equal(Events.PersonalValues.Erased, (await store.FindBySeqAsync(tenant, 1, CancellationToken.None))!.Event.Actor.Name);
            Assert.Equal(Events.PersonalValues.Erased, (await store.FindBySeqAsync(tenant, 21, CancellationToken.None))!.Event.Actor.Name);
            Assert.Empty((await store.SearchAsync(tenant, SearchQueryParser.Parse($"actor:{Email}", TimeZoneInfo.Utc), 50, null, CancellationToken.None)).Events);
            Assert.Empty((await store.SearchAsync(tenant, SearchQueryParser.Parse("quixby", TimeZoneInfo.Utc), 50, null, CancellationToken.None)).Events);
            Assert.Equal(20, (await store.SearchAsync(tenant, SearchQueryParser.Parse("actor:ada@example.com", TimeZoneInfo.Utc), 50, null, CancellationToken.None)).Events.Count);
            await store.RebuildStaleTextBlocksAsync(tenant, 256, CancellationToken.None);
            var after = await new Verification.ChainVerifier(store, key.Key, key.KeyName).VerifyAsync(tenant, CancellationToken.None);
            Assert.True(after.Ok, after.Problem);
            Assert.Equal(40, after.Events);
            Assert.False(FilesHold(Email));
        }
    }

    [Fact]
    public async Task Verification_reads_the_side_rows_of_every_part_beside_the_events_and_names_a_changed_one()
    {
        var tenant = Submit.Tenant();
        using var key = Integrity.SigningKey.FromPem(System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem(), "witness");
        await using var store = await OpenAsync();
        await store.AppendManyAsync(tenant, 40, i => i % 4 == 1 ? SubjectEvent(tenant) : Submit.Event(tenant, change: e =>
            e["actor"] = new JsonObject { ["type"] = "user", ["id"] = $"u_{i % 7}", ["name"] = $"User {i % 7}", ["email"] = $"user{i % 7}@example.com" }));
        Assert.True(await ScalarAsync("SELECT count(DISTINCT bucket) FROM event_personal") >= 3);
        await ((IPersonalDataStore)store).EraseSubjectAsync(tenant, ErasureSubject.ByEmail(Email), CancellationToken.None);
        await new Checkpoints.CheckpointIssuer(store, key, TimeProvider.System).IssueAsync(tenant, CancellationToken.None);
        var verifier = new Verification.ChainVerifier(store, key.Key, key.KeyName);
        var verified = await verifier.VerifyAsync(tenant, CancellationToken.None);
        Assert.True(verified.Ok, verified.Problem);
        Assert.Equal(40, verified.Events);

        async Task<string?> ProblemAfterAsync(string change, string undo)
        {
            await ScalarAsync(change + "; SELECT 0");
            var result = await verifier.VerifyAsync(tenant, CancellationToken.None);
            await ScalarAsync(undo + "; SELECT 0");
            Assert.True((await verifier.VerifyAsync(tenant, CancellationToken.None)).Ok);
            return result.Ok ? null : result.Problem;
        }

        var rid = await ScalarAsync("SELECT rid FROM event_personal WHERE subject = 'i:u_3' ORDER BY rid LIMIT 1");
        var seq = await ScalarAsync($"SELECT seq FROM events WHERE rid = {rid}");
        Assert.Contains($"event {seq}'s personal 'search_text'",
            await ProblemAfterAsync($"UPDATE event_personal SET text = text || 'mallory' || char(10) WHERE rid = {rid}", $"UPDATE event_personal SET text = replace(text, 'mallory' || char(10), '') WHERE rid = {rid}"),
            StringComparison.Ordinal);
        Assert.Contains($"event {seq} was changed",
            await ProblemAfterAsync(
                $"CREATE TABLE kept AS SELECT * FROM event_personal WHERE rid = {rid}; UPDATE event_personal SET record = substr(record, 1, 5) || X'5A' || substr(record, 7) WHERE rid = {rid}",
                $"UPDATE event_personal SET record = (SELECT record FROM kept) WHERE rid = {rid}; DROP TABLE kept"),
            StringComparison.Ordinal);

        // No side row is what an erasure of every value leaves: the masked body and the commitments in the shape are the
        // erased event, whose leaf is the one stored. The log proves the event, not that its values were kept.
        await ScalarAsync($"DELETE FROM event_personal WHERE rid = {rid}; SELECT 0");
        Assert.True((await verifier.VerifyAsync(tenant, CancellationToken.None)).Ok);
        Assert.Equal(Events.PersonalValues.Erased, (await store.FindBySeqAsync(tenant, seq, CancellationToken.None))!.Event.Actor.Name);
    }

    public void Dispose() => TempFolder.Delete(_folder);
}
