using Microsoft.EntityFrameworkCore;

namespace Witness.EntityFrameworkCore;

/// <summary>
/// An audit event waiting in the application's database for delivery to Witness (table <c>witness_outbox</c>).
/// Rows are written in the transaction of the change they record and deleted once Witness has stored the event.
/// </summary>
public sealed class WitnessOutboxMessage
{
    public long Id { get; set; }

    /// <summary>The event's id: resending after a crash stores nothing twice.</summary>
    public string EventId { get; set; } = "";

    /// <summary>The event as JSON, exactly as sent.</summary>
    public string Payload { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Set when Witness refused the event (it is then kept, not retried).</summary>
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
            e.Property(m => m.CreatedAt).HasColumnName("created_at");
            e.Property(m => m.Error).HasColumnName("error");
        });
        return modelBuilder;
    }
}
