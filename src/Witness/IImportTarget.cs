using System.Text.Json.Nodes;
using Witness.Events;

namespace Witness.Cli;

/// <summary>Where <c>witness import</c> sends events: the data folder directly, or a server's API.</summary>
internal interface IImportTarget : IAsyncDisposable
{
    /// <summary>The problems the tenant's catalog and settings find with one parsed event (strict mode), before anything is sent.</summary>
    Task<IReadOnlyList<ValidationError>> CheckAsync(SubmittedEvent parsed, CancellationToken ct);

    /// <summary>Appends a batch; one outcome per event, in order. Events that conflict are left out and reported, the rest are stored.</summary>
    Task<IReadOnlyList<ImportOutcome>> AppendAsync(IReadOnlyList<(JsonObject Json, SubmittedEvent Parsed)> batch, CancellationToken ct);

    /// <summary>After the last batch: signs a checkpoint of the tenant's log where the target can; returns a line for the user, or null.</summary>
    Task<string?> FinishAsync(string tenant, CancellationToken ct);
}

/// <summary>What became of one imported event.</summary>
internal sealed record ImportOutcome(ImportResult Result, ValidationError? Error = null);

internal enum ImportResult
{
    Added,
    AlreadyThere,
    Rejected,
}
