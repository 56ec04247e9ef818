using System.CommandLine;
using Witness.Events;
using Witness.Server.Auditing;
using Witness.Server.Privacy;
using Witness.Storage;

namespace Witness.Cli;

/// <summary><c>witness erase --tenant T (--email E | --actor-id ID)</c>: a subject's personal values erased on the store directly (docs/erasure.md).</summary>
internal static class EraseCommand
{
    public static Command Create()
    {
        var data = WitnessCli.DataOption();
        var postgres = WitnessCli.PostgresOption();
        var tenant = new Option<string>("--tenant") { Description = "The tenant whose log holds the subject's events.", Required = true };
        var email = new Option<string?>("--email") { Description = "Erase the subject with this email (and every actor id seen with it)." };
        var actorId = new Option<string?>("--actor-id") { Description = "Erase the subject with this actor id." };
        var command = new Command("erase",
            "Erase every personal value (actor name and email, IP, user agent, location) of one subject in a tenant: the events, their hashes and " +
            "every proof stay, the values read [erased], and the erasure is recorded as a privacy.erase event without the erased value.")
        {
            data, postgres, tenant, email, actorId,
        };
        command.SetAction(async (parse, ct) =>
        {
            var name = parse.GetValue(tenant)!;
            if (!EventParser.IsValidTenant(name))
            {
                throw new CliException("--tenant must be 1–64 characters of A-Z a-z 0-9 . _ -", WitnessCli.UsageError);
            }

            var (subject, errors) = SubjectErasure.Check(parse.GetValue(email), parse.GetValue(actorId));
            if (subject is null)
            {
                var e = errors[0];
                throw new CliException(e.Field == "email" && e.Message.StartsWith("give", StringComparison.Ordinal)
                    ? "give exactly one of --email and --actor-id"
                    : $"--{e.Field.Replace('_', '-')} {e.Message}", WitnessCli.UsageError);
            }

            var folder = parse.GetValue(data)!;
            var connection = parse.GetValue(postgres);
            if (connection is null && !File.Exists(Storage.Sqlite.SqliteStoreOptions.InFolder(folder).DatabasePath))
            {
                throw new CliException($"no Witness store in '{folder}' (give --data DIR or --postgres)");
            }

            CommandHost host;
            try
            {
                host = await CommandHost.OpenAsync(folder, connection, ct);
            }
            catch (InvalidOperationException ex)
            {
                throw new CliException(ex.Message);
            }

            await using var opened = host;
            var erasure = new SubjectErasure(host.Store, new SystemEvents(host.Intake));
            var (count, seq) = await erasure.EraseAsync(name, subject, CommandHost.Actor("erase"), null, ct);
            var kept = count.Kept > 0 ? $"; {Counted.Of(count.Kept, "event")} stored before leaf version 2 {(count.Kept == 1 ? "keeps its" : "keep their")} values (docs/erasure.md)" : "";
            Console.WriteLine($"Erased the personal values of {count.Events} event{(count.Events == 1 ? "" : "s")} in tenant '{name}'{kept}. Recorded as event {seq}.");

            // The free-text blocks that held the values are rebuilt now (a running server's repair loop would do it too).
            if (host.Store is IStaleTextBlockStore blocks)
            {
                var rebuilt = await Server.Background.TextBlockRepairService.RebuildAllAsync(blocks, name, ct);
                if (rebuilt > 0)
                {
                    Console.WriteLine($"Rebuilt {Counted.Of(rebuilt, "free-text block")} that held the erased values.");
                }
            }

            return 0;
        });
        return command;
    }
}
