using System.Buffers;
using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Update;
using Microsoft.Extensions.Options;
using Witness.Client;

namespace Witness.EntityFrameworkCore;

/// <summary>
/// Turns saved changes into audit events. One instance serves every context at once: it keeps nothing of its own
/// between calls, and what one <c>SaveChanges</c> needs from start to end lives in a state object attached to that
/// context (a <see cref="ConditionalWeakTable{TKey,TValue}"/>), which EF Core uses from one thread at a time.
/// </summary>
internal sealed class WitnessInterceptor(
    IOptions<WitnessEntityOptions> entityOptions,
    IOptions<WitnessClientOptions> clientOptions,
    OutboxSignal signal,
    TimeProvider clock,
    IAuditLog? auditLog = null,
    IAuditContextAccessor? contextAccessor = null) : ISaveChangesInterceptor, IDbTransactionInterceptor
{
    private const string Redacted = "[redacted]";
    private readonly ConditionalWeakTable<DbContext, ContextState> _states = [];
    private readonly WitnessEntityOptions _options = entityOptions.Value;
    private readonly ConcurrentDictionary<IProperty, string> _names = new();

    // Per entity type of each model, dropped with the model; a weak table is safe for concurrent readers and writers.
    private readonly ConditionalWeakTable<IEntityType, EntityShape> _shapes = [];
    private static readonly JsonEncodedText IdName = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText TenantName = JsonEncodedText.Encode("tenant");
    private static readonly JsonEncodedText ActionName = JsonEncodedText.Encode("action");
    private static readonly JsonEncodedText OccurredAtName = JsonEncodedText.Encode("occurred_at");
    private static readonly JsonEncodedText ActorName = JsonEncodedText.Encode("actor");
    private static readonly JsonEncodedText TargetsName = JsonEncodedText.Encode("targets");
    private static readonly JsonEncodedText TypeName = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText NameName = JsonEncodedText.Encode("name");
    private static readonly JsonEncodedText ContextName = JsonEncodedText.Encode("context");
    private static readonly JsonEncodedText ChangesName = JsonEncodedText.Encode("changes");
    private static readonly JsonEncodedText BeforeName = JsonEncodedText.Encode("before");
    private static readonly JsonEncodedText AfterName = JsonEncodedText.Encode("after");
    private static readonly JsonEncodedText MetadataName = JsonEncodedText.Encode("metadata");
    private static readonly JsonEncodedText OriginalsUnknownName = JsonEncodedText.Encode("originals_unknown");

    private sealed class ContextState
    {
        public List<PendingChange> Pending { get; } = [];

        /// <summary>Outbox mode: the save's events, in the order of the entries; updates and deletes already written.</summary>
        public List<OutboxEvent> OutboxEvents { get; } = [];

        /// <summary>Outbox mode: the JSON of the updates and deletes, written before the save changes their values.</summary>
        public ArrayBufferWriter<byte> Written { get; } = new();

        /// <summary>Outbox mode: one row's payload, reused from save to save.</summary>
        public ArrayBufferWriter<byte> Row { get; } = new();

        /// <summary>Outbox mode: the 32 UTF-8 hex digits of each event's id, in the order of <see cref="OutboxEvents"/>.</summary>
        public ArrayBufferWriter<byte> Ids { get; } = new();

        /// <summary>
        /// Outbox mode: what every event of the save shares, written once per save: <c>occurred_at</c>'s JSON string, then
        /// the actor's and the request context's JSON (each empty when there is none).
        /// </summary>
        public ArrayBufferWriter<byte> Shared { get; } = new();

        public int OccurredAtEnd { get; set; }

        public int ActorEnd { get; set; }

        public ReadOnlySpan<byte> OccurredAt => Shared.WrittenSpan[..OccurredAtEnd];

        public ReadOnlySpan<byte> Actor => Shared.WrittenSpan[OccurredAtEnd..ActorEnd];

        public ReadOnlySpan<byte> RequestContext => Shared.WrittenSpan[ActorEnd..];

        public ReadOnlySpan<byte> Id(int index) => Ids.WrittenSpan.Slice(index * IdLength, IdLength);

        /// <summary>The last entity type seen and its shape: the entries of a save are mostly of one type.</summary>
        public IEntityType? LastType { get; set; }

        public EntityShape? LastShape { get; set; }

        public Utf8JsonWriter? Writer { get; set; }

        /// <summary>Outbox mode: when the save began, the time of all its events.</summary>
        public DateTimeOffset Now { get; set; }

        public int Count => Pending.Count + OutboxEvents.Count;

        public List<AuditEvent> AwaitingCommit { get; } = [];

        public IDbContextTransaction? OwnTransaction { get; set; }

        /// <summary>True while the interceptor has turned the context's automatic change detection off for the rest of a save.</summary>
        public bool RestoreAutoDetect { get; set; }

        /// <summary>True while the interceptor has turned automatic savepoints off for the save in its own transaction.</summary>
        public bool RestoreSavepoints { get; set; }

        /// <summary>The outbox INSERT, prepared once and run again while its connection stays open (its parameters re-filled).</summary>
        public DbCommand? OutboxCommand { get; private set; }

        /// <summary>True when <see cref="OutboxCommand"/> casts its payload to text (SQLite), so that it may be bound as UTF-8 bytes.</summary>
        public bool OutboxCastsPayload { get; private set; }

        /// <summary>Whether the open connection's SQLite database stores text as UTF-8; null until asked.</summary>
        public bool? Utf8Database { get; set; }

        public void KeepOutboxCommand(DbCommand command, bool castsPayload, DbConnection connection)
        {
            OutboxCommand = command;
            OutboxCastsPayload = castsPayload;
            Utf8Database = null;
            // A closed connection may come back with another pooled handle, and a provider's prepared statements belong
            // to the old one: the command lives only as long as this open connection.
            connection.StateChange += DropOutboxCommand;
        }

        private void DropOutboxCommand(object? sender, System.Data.StateChangeEventArgs e)
        {
            if (e.CurrentState != System.Data.ConnectionState.Open && sender is DbConnection connection)
            {
                connection.StateChange -= DropOutboxCommand;
                OutboxCommand?.Dispose();
                OutboxCommand = null;
                Utf8Database = null;
            }
        }

        /// <summary>Between SavingChanges and its end, and while the interceptor writes the outbox: commands are then not bulk operations.</summary>
        public bool Busy { get; set; }
    }

    private sealed record PendingChange(EntityEntry Entry, EntityAuditMap Map, string Crud, AuditEvent Event, bool OriginalsUnknown);

    /// <summary>One event of an outbox save: written already (<see cref="Length"/> bytes at <see cref="Start"/> of the state's buffer), or a create to write once the keys are known.</summary>
    private readonly record struct OutboxEvent(int Start, int Length, EntityEntry? Created, EntityShape? Shape);

    /// <summary>One outbox row: its first event's id, its events as a UTF-8 JSON array, how many.</summary>
    private readonly record struct OutboxRow(string FirstId, ReadOnlyMemory<byte> Payload, int Count);

    /// <summary>From this size on a row's payload is bound as UTF-8 bytes where the INSERT can take them (see <see cref="PayloadValue"/>).</summary>
    private const int LargePayload = 16 * 1024;

    private const int IdLength = 32;

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        if (Capture(eventData.Context) is { } state && _options.UseOutbox && eventData.Context!.Database.CurrentTransaction is null)
        {
            state.OwnTransaction = eventData.Context.Database.BeginTransaction();
            NoSavepoints(eventData.Context, state);
        }

        return result;
    }

    public async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (Capture(eventData.Context) is { } state && _options.UseOutbox && eventData.Context!.Database.CurrentTransaction is null)
        {
            state.OwnTransaction = await eventData.Context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            NoSavepoints(eventData.Context, state);
        }

        return result;
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        if (Complete(eventData.Context) is { } done)
        {
            // Whatever happens, the save ends here: a failed outbox write rolls the interceptor's own transaction back.
            try
            {
                if (done.State.OutboxEvents.Count > 0)
                {
                    WriteOutbox(eventData.Context!, done.State, OutboxPayloads(done.State));
                }

                done.State.OwnTransaction?.Commit();
            }
            finally
            {
                Finish(eventData.Context!, done.State);
            }
        }

        return result;
    }

    public async ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (Complete(eventData.Context) is { } done)
        {
            try
            {
                if (done.State.OutboxEvents.Count > 0)
                {
                    await WriteOutboxAsync(eventData.Context!, done.State, OutboxPayloads(done.State), cancellationToken).ConfigureAwait(false);
                }

                if (done.State.OwnTransaction is { } own)
                {
                    await own.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                Finish(eventData.Context!, done.State);
            }
        }

        return result;
    }

    public void SaveChangesFailed(DbContextErrorEventData eventData) => Abandon(eventData.Context);

    public Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Abandon(eventData.Context);
        return Task.CompletedTask;
    }

    public void SaveChangesCanceled(DbContextEventData eventData) => Abandon(eventData.Context);

    public Task SaveChangesCanceledAsync(DbContextEventData eventData, CancellationToken cancellationToken = default)
    {
        Abandon(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => ReleaseAwaitingCommit(eventData.Context);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        ReleaseAwaitingCommit(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => DropAwaitingCommit(eventData.Context);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        DropAwaitingCommit(eventData.Context);
        return Task.CompletedTask;
    }

    /// <summary>
    /// An <c>ExecuteUpdate</c>/<c>ExecuteDelete</c> of <paramref name="clrType"/> has run (seen by <see cref="WitnessQueryProvider"/>):
    /// one event with the affected count, in the outbox in the statement's transaction if there is one.
    /// </summary>
    internal void RecordBulk(DbContext context, string crud, Type clrType, int affected)
    {
        if (BulkEvent(context, crud, clrType, affected) is not { } found)
        {
            return;
        }

        var (state, bulk) = found;
        if (_options.UseOutbox)
        {
            WriteOutbox(context, state, [BulkRow(bulk)]);
            signal.Notify();
        }
        else
        {
            RecordOrHold(context, state, [bulk]);
        }
    }

    internal async Task RecordBulkAsync(DbContext context, string crud, Type clrType, int affected, CancellationToken cancellationToken)
    {
        if (BulkEvent(context, crud, clrType, affected) is not { } found)
        {
            return;
        }

        var (state, bulk) = found;
        if (_options.UseOutbox)
        {
            await WriteOutboxAsync(context, state, [BulkRow(bulk)], cancellationToken).ConfigureAwait(false);
            signal.Notify();
        }
        else
        {
            RecordOrHold(context, state, [bulk]);
        }
    }

    private ContextState? Capture(DbContext? context)
    {
        if (context is null)
        {
            return null;
        }

        var state = _states.GetOrCreateValue(context);
        if (state.Busy)
        {
            return null;
        }

        state.Pending.Clear();
        state.OutboxEvents.Clear();
        state.Written.ResetWrittenCount();
        state.Ids.ResetWrittenCount();
        var tracker = context.ChangeTracker;
        if (tracker.AutoDetectChangesEnabled)
        {
            // One pass over the tracked entities instead of three: Entries() and SaveChanges itself would each detect
            // changes again, though nothing can change between here and the save. Turned back on when the save ends.
            tracker.DetectChanges();
            tracker.AutoDetectChangesEnabled = false;
            state.RestoreAutoDetect = true;
        }

        try
        {
            Collect(context, state);
        }
        catch
        {
            RestoreContextSettings(context, state);
            throw;
        }

        if (state.Count == 0)
        {
            RestoreContextSettings(context, state);
            return null;
        }

        state.Busy = true;
        return state;
    }

    // EF Core wraps a save that runs inside a transaction in a savepoint (two more statements), so that a failed save leaves
    // the caller's transaction usable. The interceptor's own transaction exists for this save only and rolls back whole when
    // the save fails: a savepoint in it buys nothing.
    private static void NoSavepoints(DbContext context, ContextState state)
    {
        if (context.Database.AutoSavepointsEnabled)
        {
            context.Database.AutoSavepointsEnabled = false;
            state.RestoreSavepoints = true;
        }
    }

    private static void RestoreContextSettings(DbContext context, ContextState state)
    {
        if (state.RestoreSavepoints)
        {
            state.RestoreSavepoints = false;
            context.Database.AutoSavepointsEnabled = true;
        }

        if (state.RestoreAutoDetect)
        {
            state.RestoreAutoDetect = false;
            context.ChangeTracker.AutoDetectChangesEnabled = true;
        }
    }

    private void Collect(DbContext context, ContextState state)
    {
        var actor = contextAccessor?.Actor;
        var requestContext = contextAccessor?.Context;
        var now = state.Now = clock.GetUtcNow();
        var shared = false;
        foreach (var entry in context.ChangeTracker.Entries())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified or EntityState.Deleted) || _options.Find(entry.Metadata.ClrType) is not { } map)
            {
                continue;
            }

            if (_options.UseOutbox)
            {
                if (!shared)
                {
                    WriteShared(state, actor, requestContext, now);
                    shared = true;
                }

                WriteOutboxEvent(state, entry, Shape(state, entry.Metadata));
                continue;
            }

            var (crud, action) = entry.State switch
            {
                EntityState.Added => ("create", map.CreateAction),
                EntityState.Modified => ("update", map.UpdateAction),
                _ => ("delete", map.DeleteAction),
            };
            var auditEvent = new AuditEvent
            {
                Action = action,
                Tenant = clientOptions.Value.Tenant,
                Actor = actor,
                Context = requestContext,
            };
            WitnessClient.Stamp(auditEvent, clock);
            var originalsUnknown = false;
            if (entry.State == EntityState.Modified)
            {
                var changed = Changed(entry, out originalsUnknown);
                auditEvent.Changes = new AuditChanges
                {
                    Before = originalsUnknown ? null : Snapshot(changed, map, original: true),
                    After = Snapshot(changed, map, original: false),
                };
                if (originalsUnknown)
                {
                    auditEvent.Metadata = new JsonObject { ["originals_unknown"] = true };
                }
            }
            else if (entry.State == EntityState.Deleted)
            {
                auditEvent.Changes = new AuditChanges { Before = Snapshot(entry.Properties, map, original: true) };
                auditEvent.Targets = [Target(entry, map)];
            }

            state.Pending.Add(new PendingChange(entry, map, crud, auditEvent, originalsUnknown));
        }
    }

    /// <summary>
    /// The properties of a modified entry whose values changed. An entity attached with Update() has every property marked
    /// modified and its originals set to the current values: nothing tells what it was before, so the event says so
    /// (<paramref name="originalsUnknown"/>, with every modified property) instead of showing before = after.
    /// </summary>
    private static List<PropertyEntry> Changed(EntityEntry entry, out bool originalsUnknown)
    {
        List<PropertyEntry>? modified = null;
        var changed = new List<PropertyEntry>();
        foreach (var p in entry.Properties)
        {
            if (p.IsModified)
            {
                (modified ??= []).Add(p);
                if (!Equals(p.OriginalValue, p.CurrentValue))
                {
                    changed.Add(p);
                }
            }
        }

        originalsUnknown = modified is not null && changed.Count == 0;
        return originalsUnknown ? modified! : changed;
    }

    /// <summary>
    /// Outbox mode: the event of one entry written as JSON straight from the entry, in the form <see cref="AuditEvent"/>
    /// serializes to, without building an <see cref="AuditEvent"/> and its <see cref="JsonObject"/> snapshots. An update
    /// or delete is written now, before the save accepts its values; a create once the database has given it its key.
    /// </summary>
    private void WriteOutboxEvent(ContextState state, EntityEntry entry, EntityShape shape)
    {
        var index = state.OutboxEvents.Count;
        WitnessClient.NewId(state.Now, state.Ids.GetSpan(IdLength)[..IdLength]);
        state.Ids.Advance(IdLength);
        var entityState = entry.State;
        if (entityState == EntityState.Added)
        {
            state.OutboxEvents.Add(new OutboxEvent(0, 0, entry, shape));
            return;
        }

        var update = EntityShape.UpdateEntry(entry);
        var properties = shape.Properties;
        // Per property: 1 = marked modified, 2 = its value changed. Before/after hold the changed ones; when properties are
        // marked modified but none changed (an entity attached with Update()), the originals are unknown and after holds
        // the modified ones.
        Span<byte> marks = properties.Length <= 256 ? stackalloc byte[properties.Length] : new byte[properties.Length];
        var modified = entityState == EntityState.Modified;
        var originalsUnknown = false;
        if (modified)
        {
            var anyModified = false;
            var anyChanged = false;
            for (var i = 0; i < properties.Length; i++)
            {
                if (update.IsModified(properties[i].Property))
                {
                    anyModified = true;
                    marks[i] = 1;
                    if (properties[i].Differs(update))
                    {
                        anyChanged = true;
                        marks[i] = 3;
                    }
                }
            }

            originalsUnknown = anyModified && !anyChanged;
        }

        var start = state.Written.WrittenCount;
        var writer = Writer(state, state.Written);
        WriteEventStart(writer, state, state.Id(index), modified ? shape.UpdateAction : shape.DeleteAction);
        WriteTarget(writer, entry, update, shape);
        WriteContext(writer, state);
        writer.WritePropertyName(ChangesName);
        writer.WriteStartObject();
        if (!originalsUnknown)
        {
            writer.WritePropertyName(BeforeName);
            WriteSnapshot(writer, shape, update, marks, modified ? (byte)2 : (byte)0, original: true);
        }

        if (modified)
        {
            writer.WritePropertyName(AfterName);
            WriteSnapshot(writer, shape, update, marks, originalsUnknown ? (byte)1 : (byte)2, original: false);
        }

        writer.WriteEndObject();
        if (originalsUnknown)
        {
            writer.WritePropertyName(MetadataName);
            writer.WriteStartObject();
            writer.WriteBoolean(OriginalsUnknownName, true);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.Flush();
        state.OutboxEvents.Add(new OutboxEvent(start, state.Written.WrittenCount - start, null, null));
    }

    private EntityShape Shape(ContextState state, IEntityType entityType)
    {
        if (!ReferenceEquals(state.LastType, entityType))
        {
            state.LastShape = _shapes.GetValue(entityType, NewShape);
            state.LastType = entityType;
        }

        return state.LastShape!;
    }

    private EntityShape NewShape(IEntityType entityType) =>
        new(entityType, _options.Find(entityType.ClrType) ?? throw new InvalidOperationException($"{entityType.ClrType} is not mapped for Witness."));

    /// <summary>What every event of the save shares, written once: the time, the actor, the request context.</summary>
    private static void WriteShared(ContextState state, AuditActor? actor, AuditContext? requestContext, DateTimeOffset now)
    {
        state.Shared.ResetWrittenCount();
        var writer = Writer(state, state.Shared);
        writer.WriteStringValue(now);
        writer.Flush();
        state.OccurredAtEnd = state.Shared.WrittenCount;
        if (actor is not null)
        {
            writer = Writer(state, state.Shared);
            JsonSerializer.Serialize(writer, actor, ClientJson.Default.AuditActor);
            writer.Flush();
        }

        state.ActorEnd = state.Shared.WrittenCount;
        if (requestContext is not null)
        {
            writer = Writer(state, state.Shared);
            JsonSerializer.Serialize(writer, requestContext, ClientJson.Default.AuditContext);
            writer.Flush();
        }
    }

    private void WriteEventStart(Utf8JsonWriter writer, ContextState state, ReadOnlySpan<byte> id, JsonEncodedText action)
    {
        writer.WriteStartObject();
        writer.WriteString(IdName, id);
        if (clientOptions.Value.Tenant is { } tenant)
        {
            writer.WriteString(TenantName, tenant);
        }

        writer.WriteString(ActionName, action);
        writer.WritePropertyName(OccurredAtName);
        writer.WriteRawValue(state.OccurredAt, skipInputValidation: true);
        if (!state.Actor.IsEmpty)
        {
            writer.WritePropertyName(ActorName);
            writer.WriteRawValue(state.Actor, skipInputValidation: true);
        }

        writer.WritePropertyName(TargetsName);
    }

    private static void WriteTarget(Utf8JsonWriter writer, EntityEntry entry, IUpdateEntry update, EntityShape shape)
    {
        writer.WriteStartArray();
        writer.WriteStartObject();
        writer.WriteString(TypeName, shape.TargetType);
        shape.WriteId(writer, IdName, update);
        if (shape.Map.Name is { } name && name(entry.Entity) is { } targetName)
        {
            writer.WriteString(NameName, targetName);
        }

        writer.WriteEndObject();
        writer.WriteEndArray();
    }

    private static void WriteContext(Utf8JsonWriter writer, ContextState state)
    {
        if (!state.RequestContext.IsEmpty)
        {
            writer.WritePropertyName(ContextName);
            writer.WriteRawValue(state.RequestContext, skipInputValidation: true);
        }
    }

    /// <summary>The properties whose <paramref name="marks"/> have a bit of <paramref name="mask"/> (every property for 0).</summary>
    private static void WriteSnapshot(Utf8JsonWriter writer, EntityShape shape, IUpdateEntry update, ReadOnlySpan<byte> marks, byte mask, bool original)
    {
        writer.WriteStartObject();
        var properties = shape.Properties;
        for (var i = 0; i < properties.Length; i++)
        {
            if (mask == 0 || (marks[i] & mask) != 0)
            {
                properties[i].Write(writer, update, original);
            }
        }

        writer.WriteEndObject();
    }

    private static Utf8JsonWriter Writer(ContextState state, ArrayBufferWriter<byte> buffer)
    {
        if (state.Writer is null)
        {
            state.Writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        }
        else
        {
            state.Writer.Reset(buffer);
        }

        return state.Writer;
    }

    /// <summary>Outbox mode, after the save: the rows' payloads, creates written now that their keys are known.</summary>
    private IEnumerable<OutboxRow> OutboxPayloads(ContextState state)
    {
        var events = state.OutboxEvents;
        var rowSize = _options.OutboxBatchSize;
        for (var start = 0; start < events.Count; start += rowSize)
        {
            var count = Math.Min(rowSize, events.Count - start);
            state.Row.ResetWrittenCount();
            var writer = Writer(state, state.Row);
            writer.WriteStartArray();
            for (var i = start; i < start + count; i++)
            {
                var e = events[i];
                if (e.Created is { } entry)
                {
                    var update = EntityShape.UpdateEntry(entry);
                    WriteEventStart(writer, state, state.Id(i), e.Shape!.CreateAction);
                    WriteTarget(writer, entry, update, e.Shape);
                    WriteContext(writer, state);
                    writer.WritePropertyName(ChangesName);
                    writer.WriteStartObject();
                    writer.WritePropertyName(AfterName);
                    WriteSnapshot(writer, e.Shape, update, default, 0, original: false);
                    writer.WriteEndObject();
                    writer.WriteEndObject();
                }
                else
                {
                    writer.WriteRawValue(state.Written.WrittenSpan.Slice(e.Start, e.Length), skipInputValidation: true);
                }
            }

            writer.WriteEndArray();
            writer.Flush();
            yield return new OutboxRow(Encoding.ASCII.GetString(state.Id(start)), state.Row.WrittenMemory, count);
        }
    }

    /// <summary>After the save: keys generated by the database are known now, so targets and created values are filled in.</summary>
    private (ContextState State, List<AuditEvent> Events)? Complete(DbContext? context)
    {
        if (context is null || !_states.TryGetValue(context, out var state) || !state.Busy || state.Count == 0)
        {
            return null;
        }

        if (_options.UseOutbox)
        {
            return (state, []);
        }

        var events = new List<AuditEvent>(state.Pending.Count);
        foreach (var change in state.Pending)
        {
            var e = change.Event;
            if (change.Crud == "create")
            {
                e.Changes = new AuditChanges { After = Snapshot(change.Entry.Properties, change.Map, original: false) };
            }

            e.Targets ??= [Target(change.Entry, change.Map)];
            events.Add(e);
        }

        state.Pending.Clear();
        if (!_options.UseOutbox)
        {
            RestoreContextSettings(context, state);
            RecordOrHold(context, state, events);
            state.Busy = false;
            return null;
        }

        return (state, events);
    }

    private void Finish(DbContext context, ContextState state)
    {
        RestoreContextSettings(context, state);
        state.OutboxEvents.Clear();
        state.OwnTransaction?.Dispose();
        state.OwnTransaction = null;
        state.Busy = false;
        signal.Notify();
    }

    private void Abandon(DbContext? context)
    {
        if (context is null || !_states.TryGetValue(context, out var state))
        {
            return;
        }

        RestoreContextSettings(context, state);
        state.Pending.Clear();
        state.OutboxEvents.Clear();
        state.OwnTransaction?.Dispose();
        state.OwnTransaction = null;
        state.Busy = false;
    }

    private void RecordOrHold(DbContext context, ContextState state, List<AuditEvent> events)
    {
        if (context.Database.CurrentTransaction is null)
        {
            Record(events);
        }
        else
        {
            state.AwaitingCommit.AddRange(events);
        }
    }

    private void ReleaseAwaitingCommit(DbContext? context)
    {
        if (context is not null && _states.TryGetValue(context, out var state) && state.AwaitingCommit.Count > 0)
        {
            Record(state.AwaitingCommit);
            state.AwaitingCommit.Clear();
        }
    }

    private void DropAwaitingCommit(DbContext? context)
    {
        if (context is not null && _states.TryGetValue(context, out var state))
        {
            state.AwaitingCommit.Clear();
        }
    }

    private void Record(List<AuditEvent> events)
    {
        var log = auditLog ?? throw new InvalidOperationException("Witness.EntityFrameworkCore without the outbox needs IAuditLog: call AddWitnessClient.");
        foreach (var e in events)
        {
            log.Record(e);
        }
    }

    private (ContextState State, AuditEvent Event)? BulkEvent(DbContext context, string crud, Type clrType, int affected)
    {
        if (_options.Find(clrType) is not { } map || (_states.TryGetValue(context, out var existing) && existing.Busy))
        {
            return null;
        }

        var table = context.Model.FindEntityType(clrType)?.GetTableName();
        var noun = map.Prefix.Replace('_', ' ');
        // One statement, any number of rows: no single target, so the event names the type and the count instead.
        var auditEvent = new AuditEvent
        {
            Action = $"{map.Prefix}.bulk_{crud}",
            Tenant = clientOptions.Value.Tenant,
            Actor = contextAccessor?.Actor,
            Context = contextAccessor?.Context,
            Metadata = new JsonObject { ["affected"] = affected, ["target_type"] = map.Prefix, ["table"] = table },
            Description = string.Create(CultureInfo.InvariantCulture, $"{(crud == "update" ? "Updated" : "Deleted")} {affected} {noun}{(affected == 1 ? "" : "s")} in one statement"),
        };
        WitnessClient.Stamp(auditEvent, clock);
        return (_states.GetOrCreateValue(context), auditEvent);
    }

    private static OutboxRow BulkRow(AuditEvent bulk) =>
        new(bulk.Id!, JsonSerializer.SerializeToUtf8Bytes([bulk], ClientJson.Default.ListAuditEvent), 1);

    private void WriteOutbox(DbContext context, ContextState state, IEnumerable<OutboxRow> rows)
    {
        var busy = state.Busy;
        state.Busy = true;
        context.Database.OpenConnection();
        try
        {
            foreach (var row in rows)
            {
                OutboxInsert(context, state, row).ExecuteNonQuery();
            }
        }
        finally
        {
            context.Database.CloseConnection();
            state.Busy = busy;
        }
    }

    private async Task WriteOutboxAsync(DbContext context, ContextState state, IEnumerable<OutboxRow> rows, CancellationToken cancellationToken)
    {
        var busy = state.Busy;
        state.Busy = true;
        await context.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var row in rows)
            {
                await OutboxInsert(context, state, row).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await context.Database.CloseConnectionAsync().ConfigureAwait(false);
            state.Busy = busy;
        }
    }

    // A plain ADO.NET INSERT on the context's connection in its current transaction, so that the row commits or rolls back
    // with the change, whatever else the change tracker holds. Not EF's raw SQL, whose command building, logging and
    // interception cost more than the insert itself. The command is built once and kept while the context's connection
    // stays open: a provider that keeps prepared statements per command (Microsoft.Data.Sqlite) then prepares the INSERT
    // once for all the saves of that open connection. Names come from the model, quoted by the provider.
    private DbCommand OutboxInsert(DbContext context, ContextState state, OutboxRow row)
    {
        var connection = context.Database.GetDbConnection();
        var command = state.OutboxCommand;
        if (command is null || command.Connection != connection)
        {
            command?.Dispose();
            var (created, castsPayload) = NewOutboxInsert(context, connection);
            command = created;
            state.KeepOutboxCommand(command, castsPayload, connection);
        }

        command.Transaction = context.Database.CurrentTransaction?.GetDbTransaction();
        command.Parameters[0].Value = row.FirstId;
        command.Parameters[1].Value = PayloadValue(command, state, row.Payload);
        command.Parameters[2].Value = row.Count;
        command.Parameters[3].Value = clock.GetUtcNow();
        return command;
    }

    // The payload is written as UTF-8, and a string parameter costs it twice over: the string made from it (twice its size),
    // and on SQLite the UTF-8 copy the provider makes of that string to bind it. For a large row (a save of many entities)
    // on SQLite the bytes themselves are bound and the INSERT casts them to TEXT, which SQLite does by taking them as text
    // in the database's encoding: the same stored text, made once. Only where that encoding is UTF-8 (asked once per open
    // connection; a UTF-16 database would read the bytes as UTF-16) and only for large rows, which pay the question back.
    private static object PayloadValue(DbCommand command, ContextState state, ReadOnlyMemory<byte> payload)
    {
        if (state.OutboxCastsPayload && payload.Length >= LargePayload && (state.Utf8Database ??= StoresUtf8(command)))
        {
            return payload.ToArray();
        }

        return Encoding.UTF8.GetString(payload.Span);
    }

    private static bool StoresUtf8(DbCommand insert)
    {
        using var command = insert.Connection!.CreateCommand();
        command.Transaction = insert.Transaction;
        command.CommandText = "PRAGMA encoding";
        return command.ExecuteScalar() is string encoding && string.Equals(encoding, "UTF-8", StringComparison.OrdinalIgnoreCase);
    }

    private static (DbCommand Command, bool CastsPayload) NewOutboxInsert(DbContext context, DbConnection connection)
    {
        var entity = context.Model.FindEntityType(typeof(WitnessOutboxMessage))
            ?? throw new InvalidOperationException($"The outbox is not in {context.GetType().Name}'s model: call modelBuilder.AddWitnessOutbox() in OnModelCreating.");
        var sql = context.GetService<ISqlGenerationHelper>();
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        string Column(string property) => sql.DelimitIdentifier(entity.FindProperty(property)!.GetColumnName(table)!);

        // CAST of a text value to TEXT leaves it as it is, so a string bound instead of bytes stores the same.
        var castsPayload = connection.GetType().FullName == "Microsoft.Data.Sqlite.SqliteConnection";
        var payload = sql.GenerateParameterNamePlaceholder("p1");
        var command = connection.CreateCommand();
        command.CommandText =
            $"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} " +
            $"({Column(nameof(WitnessOutboxMessage.EventId))}, {Column(nameof(WitnessOutboxMessage.Payload))}, {Column(nameof(WitnessOutboxMessage.EventCount))}, {Column(nameof(WitnessOutboxMessage.CreatedAt))}) " +
            $"VALUES ({sql.GenerateParameterNamePlaceholder("p0")}, {(castsPayload ? $"CAST({payload} AS TEXT)" : payload)}, {sql.GenerateParameterNamePlaceholder("p2")}, {sql.GenerateParameterNamePlaceholder("p3")})";
        for (var i = 0; i < 4; i++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = sql.GenerateParameterName(string.Create(CultureInfo.InvariantCulture, $"p{i}"));
            command.Parameters.Add(parameter);
        }

        return (command, castsPayload);
    }

    private static AuditTarget Target(EntityEntry entry, EntityAuditMap map)
    {
        var key = entry.Metadata.FindPrimaryKey();
        var id = key switch
        {
            null => null,
            { Properties.Count: 1 } => Text(entry.Property(key.Properties[0]).CurrentValue),
            _ => string.Join(",", key.Properties.Select(p => Text(entry.Property(p).CurrentValue))),
        };
        string? name = null;
        if (map.Name is not null)
        {
            name = map.Name(entry.Entity);
        }

        return new AuditTarget { Type = map.Prefix, Id = id, Name = name };
    }

    private JsonObject Snapshot(IEnumerable<PropertyEntry> properties, EntityAuditMap map, bool original)
    {
        var json = new JsonObject();
        foreach (var p in properties)
        {
            json[Name(p.Metadata)] = map.Sensitive.Contains(p.Metadata.Name)
                ? Redacted
                : Node(original ? p.OriginalValue : p.CurrentValue);
        }

        return json;
    }

    // Converted once per property of a model, not once per property of every event.
    private string Name(IProperty property) => _names.GetOrAdd(property, static p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name));

    private static JsonValue? Node(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        short s => JsonValue.Create(s),
        byte b => JsonValue.Create(b),
        decimal d => JsonValue.Create(d),
        double d => JsonValue.Create(d),
        float f => JsonValue.Create(f),
        _ => JsonValue.Create(Text(value)),
    };

    private static string? Text(object? value) => PropertyShape.Text(value);
}
