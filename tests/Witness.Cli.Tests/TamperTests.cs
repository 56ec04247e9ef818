using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Witness.Integrity;

namespace Witness.Cli.Tests;

/// <summary>
/// Someone with write access to the SQLite file changes history behind Witness's back;
/// <c>witness verify</c> must exit 1 and name the first seq that no longer matches.
/// </summary>
public sealed class TamperTests : IClassFixture<TamperTests.SignedLog>
{
    private const string Tenant = "acme";
    private readonly SignedLog _log;

    public TamperTests(SignedLog log) => _log = log;

    /// <summary>
    /// A data folder with 600 events of tenant acme and signed checkpoints at 300 and 600, made once for
    /// all tests; and, kept outside it as a client would, the checkpoint at 300 (note text) and at 600
    /// (the JSON /v1/checkpoints/latest answered).
    /// </summary>
    public sealed class SignedLog : IAsyncLifetime
    {
        public string Folder { get; } = TempFolder.Create("witness-signed");
        public string Kept { get; } = TempFolder.Create("witness-kept");
        public int Size { get; private set; }
        public string KeptAt300 => Path.Combine(Kept, "checkpoint-300.txt");
        public string KeptAt600 => Path.Combine(Kept, "checkpoint-600.json");

        public async Task InitializeAsync()
        {
            await using var server = await RunningServer.StartAsync(dataDirectory: Folder, sqliteOnly: true);
            using var client = await server.ClientForAsync(Tenant);
            await Some.SendManyAsync(client, Tenant, 300);
            var at300 = await (await client.GetAsync("/v1/checkpoints/latest")).JsonAsync();
            await File.WriteAllTextAsync(KeptAt300, at300.GetProperty("note").GetString());
            await Some.SendManyAsync(client, Tenant, 300);
            await File.WriteAllTextAsync(KeptAt600, await client.GetStringAsync("/v1/checkpoints/latest"));
            Size = 600;
        }

        public Task DisposeAsync()
        {
            TempFolder.Delete(Folder);
            TempFolder.Delete(Kept);
            return Task.CompletedTask;
        }
    }

    /// <summary>A copy of the signed log, changed by <paramref name="tamper"/>, then verified by the CLI (with <paramref name="extraArgs"/>).</summary>
    private async Task<(int ExitCode, string Output)> TamperAndVerifyAsync(Action<SqliteConnection> tamper, params string[] extraArgs)
    {
        var copy = TempFolder.Create("witness-tampered");
        foreach (var file in Directory.GetFiles(_log.Folder))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        using (var connection = new SqliteConnection($"Data Source={Path.Combine(copy, "witness.db")};Pooling=False"))
        {
            connection.Open();
            tamper(connection);
        }

        var (exitCode, output, error) = await WitnessProcess.RunAsync(["verify", "--tenant", Tenant, "--data", copy, .. extraArgs]);
        TempFolder.Delete(copy);
        return (exitCode, output + error);
    }

    private static void Run(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Cuts the log after <paramref name="size"/> and covers the tracks as a careful attacker would: the
    /// events and their index rows, the checkpoints and subtree hashes beyond the cut, and a head, size
    /// counter and latest-checkpoint size recomputed for the shorter log. Nothing signed is forged.
    /// </summary>
    private static void CutTail(SqliteConnection c, long size)
    {
        Run(c, $"DELETE FROM events WHERE seq > {size}");
        Run(c, $"DELETE FROM event_targets WHERE seq > {size}");
        Run(c, $"DELETE FROM checkpoints WHERE size > {size}");
        Run(c, $"DELETE FROM merkle_nodes WHERE (idx + 1) << level > {size}");
        RewriteHead(c);
    }

    /// <summary>Recomputes the head (frontier, size counter, latest checkpoint) from the rows and checkpoints as they now are.</summary>
    private static void RewriteHead(SqliteConnection c)
    {
        var frontier = new MerkleFrontier();
        using (var read = c.CreateCommand())
        {
            read.CommandText = "SELECT hash FROM events ORDER BY seq";
            using var reader = read.ExecuteReader();
            while (reader.Read())
            {
                frontier.Append(reader.GetFieldValue<byte[]>(0));
            }
        }

        using var write = c.CreateCommand();
        write.CommandText = "UPDATE tenants SET frontier = $frontier, log_size = $size, checkpoint_size = coalesce((SELECT max(size) FROM checkpoints), 0)";
        write.Parameters.AddWithValue("$frontier", frontier.Serialize());
        write.Parameters.AddWithValue("$size", frontier.Size);
        write.ExecuteNonQuery();
    }

    [Fact]
    public async Task The_untouched_log_verifies()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(_ => { });
        Assert.Equal(0, exitCode);
        Assert.Contains("OK", output);
        Assert.Contains($"{_log.Size} events", output);
    }

    [Fact]
    public async Task An_unknown_tenant_is_an_error_not_an_empty_log()
    {
        var (exitCode, output, error) = await WitnessProcess.RunAsync("verify", "--tenant", "acmee", "--data", _log.Folder);
        Assert.Equal(2, exitCode);
        Assert.DoesNotContain("OK", output);
        Assert.Contains("no tenant 'acmee' in this store (it has 'acme')", error);
    }

    [Fact]
    public async Task A_changed_event_is_named()
    {
        // The actor's name is kept beside the event's row, with its salt (docs/erasure.md): changed there.
        var (exitCode, output) = await TamperAndVerifyAsync(c => Run(c,
            "UPDATE event_personal SET record = CAST(replace(CAST(record AS TEXT), 'Ada Admin', 'Eve Admin') AS BLOB) WHERE rid = (SELECT rid FROM events WHERE seq = 123)"));
        Assert.Equal(1, exitCode);
        Assert.Contains("first bad seq: 123", output);
    }

    [Fact]
    public async Task A_changed_index_column_is_named()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(c => Run(c, "UPDATE events SET actor_id = 'someone-else' WHERE seq = 200"));
        Assert.Equal(1, exitCode);
        Assert.Contains("first bad seq: 200", output);
        Assert.Contains("actor_id", output);
    }

    [Fact]
    public async Task A_changed_target_index_row_is_named()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(c => Run(c, "DELETE FROM event_targets WHERE seq = 250"));
        Assert.Equal(1, exitCode);
        Assert.Contains("first bad seq: 250", output);
    }

    [Fact]
    public async Task A_removed_event_is_named()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(c => Run(c, "DELETE FROM events WHERE seq = 300"));
        Assert.Equal(1, exitCode);
        Assert.Contains("first bad seq: 300", output);
    }

    [Fact]
    public async Task A_removed_tail_is_named_from_the_signed_checkpoint()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(c =>
        {
            Run(c, "DELETE FROM events WHERE seq > 590");
            Run(c, "DELETE FROM merkle_nodes");
        });
        Assert.Equal(1, exitCode);
        Assert.Contains("first bad seq: 591", output);
    }

    [Fact]
    public async Task An_inserted_event_is_named()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(c => Run(c,
            $"""
            INSERT INTO events (tenant_id, seq, event_id, occurred_at, received_at, type, action, category, outcome, actor_id, actor_email, ip, search_text, content_digest, hash, body)
            SELECT tenant_id, {_log.Size + 1}, 'forged', occurred_at, received_at, type, action, category, outcome, actor_id, actor_email, ip, search_text, content_digest, hash, body
            FROM events WHERE seq = 42
            """));
        Assert.Equal(1, exitCode);
        Assert.Contains($"first bad seq: {_log.Size + 1}", output);
    }

    [Fact]
    public async Task A_row_planted_outside_the_tenants_log_is_named()
    {
        // The tenant's id on a row that lies outside the tenant's range of row ids: searches would find it.
        var (exitCode, output) = await TamperAndVerifyAsync(c => Run(c,
            $"""
            INSERT INTO events (rid, tenant_id, seq, event_id, occurred_at, received_at, type, action, category, outcome, actor_id, actor_email, ip, search_text, content_digest, hash, body)
            SELECT rid + 3 * 1099511627776, tenant_id, {_log.Size + 1}, 'planted', occurred_at, received_at, type, action, category, outcome, actor_id, actor_email, ip, search_text, content_digest, hash, body
            FROM events WHERE seq = 42
            """));
        Assert.Equal(1, exitCode);
        Assert.Contains($"first bad seq: {_log.Size + 1}", output);
        Assert.Contains("outside the log", output);
    }

    [Fact]
    public async Task A_removed_email_index_entry_is_named()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(c => Run(c, "DELETE FROM actor_emails"));
        Assert.Equal(1, exitCode);
        Assert.Contains("first bad seq: 1", output);
        Assert.Contains("email", output);
    }

    [Fact]
    public async Task Two_swapped_events_are_named()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(c =>
        {
            Run(c, "UPDATE events SET seq = -10 WHERE seq = 10");
            Run(c, "UPDATE events SET seq = 10 WHERE seq = 11");
            Run(c, "UPDATE events SET seq = 11 WHERE seq = -10");
        });
        Assert.Equal(1, exitCode);
        Assert.Contains("first bad seq: 10", output);
    }

    [Fact]
    public async Task A_changed_event_with_a_recomputed_hash_is_named_by_its_content_digest()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(c =>
        {
            ForgeName(c, 123);
        });

        // The digest of what the client sent, kept beside the event, no longer matches its body.
        Assert.Equal(1, exitCode);
        Assert.Contains("event 123's content_digest column differs", output);
        Assert.Contains("first bad seq: 123", output);
    }

    /// <summary>
    /// Changes the actor name of event <paramref name="seq"/> to Eve Admin and covers the tracks as one who knows the
    /// format would: the row made to read as leaf version 1 (its values in the body, personal NULL, no side row), its
    /// index columns derived from the changed body, and its leaf hash recomputed as the hash of those bytes.
    /// </summary>
    private static void ForgeName(SqliteConnection c, long seq)
    {
        byte[] body;
        using (var read = c.CreateCommand())
        {
            read.CommandText = $"SELECT e.body, e.personal, p.record FROM events e LEFT JOIN event_personal p ON p.rid = e.rid WHERE e.seq = {seq}";
            using var reader = read.ExecuteReader();
            reader.Read();
            (body, _) = Witness.Events.PersonalSplit.Join(reader.GetFieldValue<byte[]>(0), reader.GetFieldValue<byte[]>(1), reader.IsDBNull(2) ? null : reader.GetFieldValue<byte[]>(2));
        }

        var forged = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(body).Replace("Ada Admin", "Eve Admin", StringComparison.Ordinal));
        var keys = Witness.Storage.EventIndexKeys.From(Witness.Events.CanonicalEvent.Read(forged));
        Run(c, $"DELETE FROM event_personal WHERE rid = (SELECT rid FROM events WHERE seq = {seq})");
        using var write = c.CreateCommand();
        write.CommandText = $"UPDATE events SET body = $body, hash = $hash, personal = NULL, actor_email = $email, ip = $ip, search_text = $text WHERE seq = {seq}";
        write.Parameters.AddWithValue("$body", forged);
        write.Parameters.AddWithValue("$hash", SHA256.HashData([0, .. forged]));
        write.Parameters.AddWithValue("$email", (object?)keys.ActorEmail ?? DBNull.Value);
        write.Parameters.AddWithValue("$ip", (object?)keys.Ip ?? DBNull.Value);
        write.Parameters.AddWithValue("$text", keys.SearchText);
        write.ExecuteNonQuery();
    }

    [Fact]
    public async Task A_changed_event_with_a_recomputed_hash_is_caught_by_the_tree()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(c =>
        {
            // The digest check turned off too (client_omitted NULL, as for rows older than migration 015), and the row
            // made to read as leaf version 1 (personal NULL), so the forged hash is the hash of its bytes.
            ForgeName(c, 123);
            Run(c, "UPDATE events SET client_omitted = NULL WHERE seq = 123");
        });

        // With the leaf hash forged too, the stored subtree over seq 1–256 and the signed checkpoint
        // still disagree: the verifier names the first seq of the range it can no longer vouch for.
        Assert.Equal(1, exitCode);
        Assert.Contains("first bad seq: 1", output);
        Assert.Contains("256", output);
    }

    [Theory]
    [InlineData(8, 0, "first bad seq: 1", "256")]   // a subtree the verifier hashes inside one block of rows
    [InlineData(8, 1, "first bad seq: 257", "512")] // completed across the signed checkpoint at 300, where the appender joins subtrees
    [InlineData(9, 0, "first bad seq: 1", "512")]
    public async Task A_changed_stored_tree_hash_is_named_by_the_events_it_covers(int level, int index, string firstBad, string rangeEnd)
    {
        var (exitCode, output) = await TamperAndVerifyAsync(c => Run(c, $"UPDATE merkle_nodes SET hash = zeroblob(32) WHERE level = {level} AND idx = {index}"));
        Assert.Equal(1, exitCode);
        Assert.Contains(firstBad, output);
        Assert.Contains($"to {rangeEnd} no longer match the tree's stored hash", output);
    }

    [Fact]
    public async Task A_forged_checkpoint_is_refused()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(c => Run(c,
            "UPDATE checkpoints SET note = replace(note, char(10) || '600' || char(10), char(10) || '601' || char(10)), size = 601 WHERE size = 600"));
        Assert.Equal(1, exitCode);
        Assert.Contains("not signed", output);
        Assert.Contains("bad checkpoint: size 601", output);
    }

    [Fact]
    public async Task A_changed_checkpoint_root_is_named_by_its_size()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(c => Run(c, "UPDATE checkpoints SET root = zeroblob(32) WHERE size = 300"));
        Assert.Equal(1, exitCode);
        Assert.Contains("the checkpoint at size 300 is not signed", output);
        Assert.Contains("bad checkpoint: size 300", output);
    }

    [Fact]
    public async Task A_deleted_checkpoint_row_is_named_by_its_size()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(c => Run(c, "DELETE FROM checkpoints WHERE size = 300"));
        Assert.Equal(1, exitCode);
        Assert.Contains("the checkpoint at size 300 is missing", output);
        Assert.Contains("bad checkpoint: size 300", output);
    }

    [Fact]
    public async Task The_latest_checkpoint_row_deleted_is_named_by_its_size()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(c => Run(c, "DELETE FROM checkpoints WHERE size = 600"));
        Assert.Equal(1, exitCode);
        Assert.Contains("the checkpoint at size 600 is missing", output);
        Assert.Contains("bad checkpoint: size 600", output);
    }

    [Fact]
    public async Task A_deleted_subtree_hash_is_named_by_the_events_it_covers()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(c => Run(c, "DELETE FROM merkle_nodes WHERE level = 8 AND idx = 1"));
        Assert.Equal(1, exitCode);
        Assert.Contains("the stored tree hash over events 257 to 512 is missing", output);
        Assert.Contains("first bad seq: 257", output);
    }

    [Fact]
    public async Task A_changed_size_counter_is_named()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(c => Run(c, "UPDATE tenants SET log_size = 590"));
        Assert.Equal(1, exitCode);
        Assert.Contains("size counter (log_size) says 590 events but its head holds 600", output);
        Assert.Contains("first bad seq: 591", output);
    }

    [Fact]
    public async Task A_changed_content_digest_is_named_by_its_seq()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(c => Run(c, "UPDATE events SET content_digest = zeroblob(32) WHERE seq = 42"));
        Assert.Equal(1, exitCode);
        Assert.Contains("event 42's content_digest column differs from the digest of what its client sent", output);
        Assert.Contains("first bad seq: 42", output);
    }

    [Fact]
    public async Task A_changed_record_of_the_fields_the_client_left_out_is_named_by_its_seq()
    {
        // The server filled occurred_at, says the row now: the digest no longer matches what it says the client sent.
        var (exitCode, output) = await TamperAndVerifyAsync(c => Run(c, "UPDATE events SET client_omitted = client_omitted | 1 WHERE seq = 77"));
        Assert.Equal(1, exitCode);
        Assert.Contains("event 77's content_digest column differs", output);
        Assert.Contains("first bad seq: 77", output);
    }

    [Fact]
    public async Task The_content_digest_of_an_event_stored_before_the_omitted_fields_were_kept_is_not_checked()
    {
        // Rows written before migration 015 have client_omitted NULL: their digest cannot be recomputed (docs/verification.md).
        var (exitCode, output) = await TamperAndVerifyAsync(c => Run(c, "UPDATE events SET client_omitted = NULL, content_digest = zeroblob(32) WHERE seq = 42"));
        Assert.Equal(0, exitCode);
        Assert.Contains($"{_log.Size} events", output);
    }

    [Fact]
    public async Task A_changed_latest_checkpoint_counter_is_named_by_the_checkpoint_size()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(c => Run(c, "UPDATE tenants SET checkpoint_size = 300"));
        Assert.Equal(1, exitCode);
        Assert.Contains("the log's head records size 300 as its latest checkpoint, but one at size 600 is stored", output);
        Assert.Contains("bad checkpoint: size 600", output);
    }

    [Fact]
    public async Task A_stray_target_index_row_is_named_by_its_seq()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(c => Run(c,
            "INSERT INTO event_targets (tenant_id, target_id, target_type, occurred_at, seq) SELECT id, 'doc_9', 'document', 0, 42 FROM tenants"));
        Assert.Equal(1, exitCode);
        Assert.Contains("the target index rows differ from the event's targets", output);
        Assert.Contains("first bad seq: 42", output);
    }

    [Fact]
    public async Task A_stray_email_index_row_is_named()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(c => Run(c, "INSERT INTO actor_emails (tenant_id, email, actor_id) SELECT id, 'eve@evil.example', 'u_17' FROM tenants"));
        Assert.Equal(1, exitCode);
        Assert.Contains("the email index holds the pair (eve@evil.example, u_17) that no event of the log carries", output);
    }

    [Fact]
    public async Task A_cut_off_tail_with_its_head_rewritten_needs_a_checkpoint_kept_outside()
    {
        // From the database alone, a tail cut off with every trace removed is a shorter, consistent log.
        var (alone, aloneOutput) = await TamperAndVerifyAsync(c => CutTail(c, 590));
        Assert.Equal(0, alone);
        Assert.Contains("as of size 590", aloneOutput);

        var (exitCode, output) = await TamperAndVerifyAsync(c => CutTail(c, 590), "--checkpoint", _log.KeptAt600);
        Assert.Equal(1, exitCode);
        Assert.Contains("a checkpoint kept outside covers 600 events but the log holds 590: events after 590 were removed", output);
        Assert.Contains("first bad seq: 591", output);
    }

    [Fact]
    public async Task A_tail_cut_with_its_checkpoints_and_subtree_hashes_is_caught_by_a_checkpoint_kept_outside()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(c => CutTail(c, 300), "--checkpoint", _log.KeptAt300, "--checkpoint", _log.KeptAt600);
        Assert.Equal(1, exitCode);
        Assert.Contains("covers 600 events but the log holds 300", output);
        Assert.Contains("first bad seq: 301", output);
    }

    [Fact]
    public async Task A_tail_cut_that_leaves_the_latest_checkpoint_size_is_caught_from_the_database_alone()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(c =>
        {
            CutTail(c, 300);
            Run(c, "UPDATE tenants SET checkpoint_size = 600");
        });
        Assert.Equal(1, exitCode);
        Assert.Contains("the checkpoint at size 600 is missing", output);
    }

    [Fact]
    public async Task Rewritten_history_is_caught_by_a_checkpoint_kept_outside()
    {
        // Event 123 changed with its hash, every subtree hash and checkpoint dropped, the head recomputed:
        // only the checkpoint at 300 a client kept can tell.
        var (exitCode, output) = await TamperAndVerifyAsync(c =>
        {
            ForgeName(c, 123);
            Run(c, "UPDATE events SET client_omitted = NULL WHERE seq = 123");

            Run(c, "DELETE FROM checkpoints");
            Run(c, "DELETE FROM merkle_nodes");
            RewriteHead(c);
        }, "--checkpoint", _log.KeptAt300);
        Assert.Equal(1, exitCode);
        Assert.Contains("not a consistent extension of the checkpoint kept outside at size 300", output);
        Assert.Contains("first bad seq: 1", output);
    }

    [Fact]
    public async Task The_untouched_log_is_a_consistent_extension_of_the_checkpoints_kept_outside()
    {
        var (exitCode, output) = await TamperAndVerifyAsync(_ => { }, "--checkpoint", _log.KeptAt300, "--checkpoint", _log.KeptAt600);
        Assert.Equal(0, exitCode);
        Assert.Contains("against 2 signed checkpoints and 2 kept outside, as of size 600", output);
    }

    [Fact]
    public async Task A_checkpoint_not_signed_by_the_server_is_refused()
    {
        var forged = Path.Combine(_log.Kept, "forged.txt");
        await File.WriteAllTextAsync(forged, (await File.ReadAllTextAsync(_log.KeptAt300)).Replace("\n300\n", "\n299\n", StringComparison.Ordinal));
        var (exitCode, output) = await TamperAndVerifyAsync(_ => { }, "--checkpoint", forged);
        Assert.Equal(1, exitCode);
        Assert.Contains("the checkpoint given at size 299 is not signed by this server's key", output);
    }
}
