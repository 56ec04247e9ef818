using Microsoft.EntityFrameworkCore;
using Witness.EntityFrameworkCore;

namespace HelpDesk;

/// <summary>The help desk's settings: what its administrators change, and what Witness records.</summary>
public sealed class HelpDeskDb(DbContextOptions<HelpDeskDb> options) : DbContext(options)
{
    public DbSet<Inbox> Inboxes => Set<Inbox>();

    public DbSet<Team> Teams => Set<Team>();

    public DbSet<AutomationRule> AutomationRules => Set<AutomationRule>();

    public DbSet<InboxWebhook> Webhooks => Set<InboxWebhook>();

    public DbSet<InboxCollaborator> Collaborators => Set<InboxCollaborator>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddWitnessOutbox();
    }
}

public sealed class Inbox
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public string Channel { get; set; } = "email";

    public string? Greeting { get; set; }
}

public sealed class Team
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public string? Description { get; set; }
}

public sealed class AutomationRule
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public string Trigger { get; set; } = "conversation_created";

    public bool Enabled { get; set; } = true;
}

public sealed class InboxWebhook
{
    public int Id { get; set; }

    public int InboxId { get; set; }

    public string Url { get; set; } = "";

    /// <summary>The signing secret: recorded as [redacted], never sent to Witness.</summary>
    [AuditSensitive]
    public string Secret { get; set; } = "";
}

public sealed class InboxCollaborator
{
    public int Id { get; set; }

    public int InboxId { get; set; }

    public string Email { get; set; } = "";
}
