using FsCheck.Fluent;
using Witness.Events;
using Witness.Search;

namespace Witness.Server.Tests.Fuzzing;

/// <summary>
/// The event parser and the search language, in process, over thousands of generated inputs: the
/// only exceptions they may throw are their documented ones, each naming what is wrong.
/// </summary>
public sealed class ParserFuzzTests
{
    [Fact]
    public void Any_body_either_parses_into_events_that_can_be_written_or_is_refused_with_named_fields()
    {
        var parser = new EventParser(TimeProvider.System);
        Fuzz.Check(Gen.Zip(FuzzInputs.EventBody, Gen.Elements<string?>("acme", null), (body, bound) => (body, bound)), input =>
        {
            IReadOnlyList<SubmittedEvent> events;
            try
            {
                events = parser.ParseRequest(input.body, input.bound);
            }
            catch (EventValidationException ex)
            {
                Assert.NotEmpty(ex.Errors);
                Assert.All(ex.Errors, e => Assert.False(string.IsNullOrEmpty(e.Field)));
                return;
            }

            Assert.NotEmpty(events);
            foreach (var submitted in events)
            {
                // What the store keeps and hashes: a crash here was a 500 on ingest.
                Assert.NotEmpty(CanonicalEvent.Write(submitted.Event));
                Assert.True(EventParser.IsValidAction(submitted.Event.Action));
                Assert.True(EventParser.IsValidTenant(submitted.Event.Tenant));
            }
        }, cases: 3000);
    }

    [Fact]
    public void Any_query_either_parses_or_is_a_syntax_error_naming_the_term()
    {
        var rome = TimeZoneInfo.FindSystemTimeZoneById("Europe/Rome");
        Fuzz.Check(Gen.Zip(FuzzInputs.Query, Gen.Elements(TimeZoneInfo.Utc, rome), (q, zone) => (q, zone)), input =>
        {
            try
            {
                SearchQueryParser.Parse(input.q, input.zone);
            }
            catch (SearchSyntaxException ex)
            {
                Assert.False(string.IsNullOrWhiteSpace(ex.Message));
            }
        }, cases: 3000);
    }
}
