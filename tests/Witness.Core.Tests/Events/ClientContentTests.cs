using System.Text;
using Witness.Catalog;
using Witness.Events;

namespace Witness.Tests.Events;

/// <summary>
/// The digest of what a client sent can be recomputed from the stored event and the fields the client left
/// out, whatever the server filled in meanwhile (occurred_at, and type, category and description from the catalog).
/// </summary>
public sealed class ClientContentTests
{
    private static readonly DateTimeOffset Now = new(2024, 5, 1, 12, 0, 0, 123456 / 1000, TimeSpan.Zero);

    [Theory]
    [InlineData("""{"id":"a","action":"audit_log.view"}""", ClientOmitted.OccurredAt | ClientOmitted.Type | ClientOmitted.Category | ClientOmitted.Description)]
    [InlineData("""{"id":"b","action":"audit_log.view","occurred_at":"2023-06-22T15:06:00Z","type":"activity"}""", ClientOmitted.Category | ClientOmitted.Description)]
    [InlineData("""{"id":"c","action":"audit_log.view","category":"Mine","description":"Looked"}""", ClientOmitted.OccurredAt | ClientOmitted.Type)]
    [InlineData("""{"id":"d","action":"not.in.the.catalog","type":"access","category":null}""", ClientOmitted.OccurredAt | ClientOmitted.Category | ClientOmitted.Description)]
    [InlineData("""{"id":"e","action":"audit_log.view","occurred_at":"2023-06-22T15:06:00Z","type":"access","category":"C","description":"D"}""", ClientOmitted.None)]
    public void The_digest_recomputed_from_the_completed_stored_event_is_the_one_the_parser_made(string json, ClientOmitted omitted)
    {
        var submitted = new EventParser(new FixedClock(Now)).ParseRequest(Encoding.UTF8.GetBytes(json), "acme").Single();
        Assert.Equal(omitted, submitted.Omitted);

        var completed = ActionCatalog.CreateWithBuiltInActions().Apply("acme", submitted.Event, submitted.TypeGiven);
        var stored = completed with { Seq = 42, ReceivedAt = Now.AddSeconds(3) };
        Assert.Equal(submitted.ContentDigest, ClientContent.Digest(stored, submitted.Omitted));
        Assert.True(ClientContent.Matches(CanonicalEvent.Write(stored), submitted.Omitted, submitted.ContentDigest));
    }

    [Fact]
    public void A_filled_field_taken_for_one_the_client_sent_gives_another_digest()
    {
        var submitted = new EventParser(new FixedClock(Now)).ParseRequest("""{"id":"a","action":"audit_log.view"}"""u8, "acme").Single();
        var stored = ActionCatalog.CreateWithBuiltInActions().Apply("acme", submitted.Event, submitted.TypeGiven) with { Seq = 1, ReceivedAt = Now };
        foreach (var flag in (ClientOmitted[])[ClientOmitted.OccurredAt, ClientOmitted.Type, ClientOmitted.Category, ClientOmitted.Description])
        {
            Assert.NotEqual(submitted.ContentDigest, ClientContent.Digest(stored, submitted.Omitted & ~flag));
        }
    }
}
