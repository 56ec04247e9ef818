using System.Text;
using Witness.Events;

namespace Witness.Tests.Events;

public sealed class EventParserTests
{
    private static readonly DateTimeOffset Now = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private static IReadOnlyList<string> ProblemsWith(string json)
    {
        var parser = new EventParser(new FixedClock(Now));
        var ex = Assert.Throws<EventValidationException>(() => parser.ParseRequest(Encoding.UTF8.GetBytes(json), "acme"));
        return [.. ex.Errors.Select(e => $"{e.Field}: {e.Message}")];
    }

    [Fact]
    public void Unknown_and_repeated_fields_are_reported_in_document_order_and_the_last_repeated_value_is_the_one_checked()
    {
        var problems = ProblemsWith(
            """{"\u0061ction":"a","actor":{"nme":"x","id":"u","id":"v"},"xtra":1,"targets":[{"type":"t","id":1,"bad":true}],"context":{"location":{"town":"M"}},"changes":{"during":{}},"outcome":"success","outcome":"nope"}""");

        Assert.Equal(
            [
                "xtra: unknown field",
                "outcome: appears twice",
                "actor.nme: unknown field",
                "actor.id: appears twice",
                "targets[0].bad: unknown field",
                "outcome: must be one of success, failure",
                "context.location.town: unknown field",
                "changes.during: unknown field",
            ],
            problems);
    }

    [Fact]
    public void Escaped_member_names_are_the_names_they_spell()
    {
        var parser = new EventParser(new FixedClock(Now));
        var e = parser.ParseRequest("""{"\u0061ction":"inbox.create","actor":{"n\u0061me":"Ada"},"context":{"\u0069p":"::ffff:203.0.113.7"}}"""u8, "acme").Single().Event;

        Assert.Equal("inbox.create", e.Action);
        Assert.Equal("Ada", e.Actor.Name);
        Assert.Equal("203.0.113.7", e.Context!.Ip);
    }

    [Fact]
    public void A_batch_names_each_problem_by_its_event_index()
    {
        var problems = ProblemsWith("""{"events":[{"action":"a"},{"action":"a","targets":[{"id":"1"}]},{"actor":{"email":"x"}}]}""");

        Assert.Equal(
            [
                "events[1].targets[0].type: is required",
                "events[2].action: is required",
                "events[2].actor.email: is not an email address",
            ],
            problems);
    }
}
