using System.Text.Json;
using Witness.Events;
using Witness.Export;

namespace Witness.Tests.Export;

public sealed class EventCellsTests
{
    private static readonly AuditEvent Sample = new()
    {
        Id = "evt-1",
        Tenant = "acme",
        OccurredAt = new DateTimeOffset(2023, 6, 22, 15, 6, 0, TimeSpan.Zero),
        Type = LogTypes.Activity,
        Action = "inbox.update",
        Actor = new EventActor { Type = ActorTypes.User, Email = "ada@example.com" },
        Targets = [new EventTarget { Type = "inbox", Id = "24725", Name = "Support" }, new EventTarget { Type = "team", Id = "7" }],
        Outcome = Outcomes.Success,
        Changes = new EventChanges { Before = JsonDocument.Parse("{\"name\":\"Support\"}").RootElement.Clone(), After = JsonDocument.Parse("{\"name\":\"Help desk\",\"a\":1}").RootElement.Clone() },
    };

    [Fact]
    public void Times_show_in_utc_and_in_the_tenants_zone()
    {
        var rome = TimeZoneInfo.FindSystemTimeZoneById("Europe/Rome");
        Assert.Equal("2023-06-22T15:06:00.000000Z", EventCells.TimeUtc(Sample));
        Assert.Equal("2023-06-22 17:06:00 +02:00", EventCells.TimeLocal(Sample, rome));
        Assert.Equal("Jun 22, 2023 05:06 PM", EventCells.TimeShown(Sample, rome));
    }

    [Fact]
    public void Targets_changes_user_and_description_read_as_one_line_each()
    {
        Assert.Equal("inbox:24725 (Support); team:7", EventCells.Targets(Sample));
        Assert.Equal("{\"before\":{\"name\":\"Support\"},\"after\":{\"a\":1,\"name\":\"Help desk\"}}", EventCells.Changes(Sample));
        Assert.Equal("ada@example.com", EventCells.User(Sample));
        Assert.Equal("inbox.update", EventCells.Description(Sample));
        Assert.Equal("", EventCells.Changes(Sample with { Changes = null }));
    }

    [Fact]
    public void An_export_file_is_named_after_its_tenant_and_days()
    {
        Assert.Equal("audit-logs-acme-2023-06-01_2023-06-30.csv", ExportFileName.For("acme", new ExportPeriod(new DateOnly(2023, 6, 1), new DateOnly(2023, 6, 30)), "csv"));
    }
}
