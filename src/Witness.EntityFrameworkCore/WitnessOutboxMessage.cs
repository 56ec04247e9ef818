using Microsoft.EntityFrameworkCore;

namespace Witness.EntityFrameworkCore;

/// <summary>
/// Audit events waiting in the application's database for delivery to Witness (table <c>witness_outbox</c>): the events
/// of one <c>SaveChanges</c> (up to <see cref="WitnessEntityOptions.OutboxBatchSize"/> per row), written in the
/// transaction of the change they record and deleted once Witness has stored them.
/// </summary>
public sealed class WitnessOutboxMessage
{
    public long Id { get; set; }

    /// <summary>The id of the row's first event. Every event carries its own id: resending after a crash stores nothing twice.</summary>
    public string EventId { get; set; } = "";

    /// <summary>The events as a JSON array, exactly as sent.</summary>
    public string Payload { get; set; } = "";

    /// <summary>How many events <see cref="Payload"/> holds.</summary>
    public int EventCount { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Set when Witness refused the row's events (only the refused ones are then kept, and not retried).</summary>
    public string? Error { get; set; }
}

/// <summary>Adds the outbox table to a model.</summary>
public static class WitnessModelBuilderExtensions
{
    /// <summary>Maps <see cref="WitnessOutboxMessage"/> to the table <c>witness_outbox</c>; call from <c>OnModelCreating</c>.</summary>
    public static ModelBuilder AddWitnessOutbox(this ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.Entity<WitnessOutboxMessage>(e =>
        {
            e.ToTable("witness_outbox");
            e.HasKey(m => m.Id);
            e.Property(m => m.Id).HasColumnName("id").ValueGeneratedOnAdd();
            e.Property(m => m.EventId).HasColumnName("event_id").HasMaxLength(128).IsRequired();
            e.Property(m => m.Payload).HasColumnName("payload").IsRequired();
            e.Property(m => m.EventCount).HasColumnName("event_count");
            e.Property(m => m.CreatedAt).HasColumnName("created_at");
            e.Property(m => m.Error).HasColumnName("error");
        });
        return modelBuilder;
    }
}
