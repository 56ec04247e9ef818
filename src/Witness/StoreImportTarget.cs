using System.Text.Json.Nodes;
using Witness.Checkpoints;
using Witness.Events;
using Witness.Ingest;
using Witness.Integrity;

namespace Witness.Cli;

/// <summary>
/// Imports into the data folder through the one ingest path, the <see cref="CommandHost"/>'s
/// <see cref="EventIntake"/> (the catalog as the store holds it, strict mode, the group-commit ingestor), as
/// <c>POST /v1/events</c> does, and signs a checkpoint at the end with the server's key when it has it.
/// Owns the host and the key: disposing drains the ingestor, then closes the store.
/// </summary>
internal sealed class StoreImportTarget(CommandHost host, SigningKey? key) : IImportTarget
{
    public async Task<IReadOnlyList<ValidationError>> CheckAsync(SubmittedEvent parsed, CancellationToken ct)
    {
        try
        {
            await host.Intake.ApplyAsync([parsed], batch: false, ct);
            return [];
        }
        catch (EventValidationException ex)
        {
            return ex.Errors;
        }
    }

    public async Task<IReadOnlyList<ImportOutcome>> AppendAsync(IReadOnlyList<(JsonObject Json, SubmittedEvent Parsed)> batch, CancellationToken ct)
    {
        var outcomes = new ImportOutcome?[batch.Count];
        var pending = Enumerable.Range(0, batch.Count).ToList();
        while (pending.Count > 0)
        {
            var result = await host.Intake.SubmitAsync([.. pending.Select(i => batch[i].Parsed)], batch: true, ct);
            if (result.Conflict is { } conflict)
            {
                // The request was rolled back as a whole: set the conflicting event aside and send the others again.
                var index = pending[conflict.Index];
                outcomes[index] = new ImportOutcome(ImportResult.Rejected, new ValidationError("id", conflict.Message));
                pending.RemoveAt(conflict.Index);
                continue;
            }

            for (var i = 0; i < pending.Count; i++)
            {
                outcomes[pending[i]] = new ImportOutcome(result.Events[i].Replayed ? ImportResult.AlreadyThere : ImportResult.Added);
            }

            break;
        }

        return [.. outcomes.Select(o => o!)];
    }

    public async Task<string?> FinishAsync(string tenant, CancellationToken ct)
    {
        if (key is null)
        {
            return "No signing key at hand: a running server signs a checkpoint of the new events within a minute, or at its next start.";
        }

        var issuer = new CheckpointIssuer(host.Store, key, TimeProvider.System);
        // A log checkpointed under another origin (serve --origin) is left to the server, which knows its origin.
        if (await host.Store.LatestCheckpointAsync(tenant, ct) is { } latest && !latest.Note.StartsWith(issuer.OriginOf(tenant) + "\n", StringComparison.Ordinal))
        {
            return $"The log's checkpoints have another origin than '{key.KeyName}' (--origin): the server signs the new events within a minute.";
        }

        var checkpoint = await issuer.IssueAsync(tenant, ct);
        return checkpoint is null ? null : $"Signed a checkpoint of tenant '{tenant}' at size {checkpoint.Size}.";
    }

    public async ValueTask DisposeAsync()
    {
        key?.Dispose();
        await host.DisposeAsync();
    }
}
