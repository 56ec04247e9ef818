using Witness.Access;
using Witness.Storage;

namespace Witness.Tests.Access;

public sealed class ApiKeysTests
{
    [Fact]
    public void A_created_key_matches_its_record_and_the_record_holds_no_secret()
    {
        var (key, record) = ApiKeys.Create("acme", [Scopes.EventsRead], "ci", DateTimeOffset.UnixEpoch);
        Assert.True(ApiKeys.TryParse(key, out var id, out var secret));
        Assert.Equal(record.KeyId, id);
        Assert.True(ApiKeys.Matches(record, secret));
        Assert.DoesNotContain(secret, Convert.ToBase64String(record.SecretHash));
        Assert.False(ApiKeys.Matches(record, secret[..^1] + (secret[^1] == 'A' ? 'B' : 'A')));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer x")]
    [InlineData("wk_short_secret")]
    public void Malformed_keys_are_not_parsed(string? key) => Assert.False(ApiKeys.TryParse(key, out _, out _));

    [Fact]
    public void Unknown_scopes_and_bad_tenants_are_refused()
    {
        Assert.Throws<ArgumentException>(() => ApiKeys.Create("acme", ["events:delete"], "x", DateTimeOffset.UnixEpoch));
        Assert.Throws<ArgumentException>(() => ApiKeys.Create("bad tenant", [Scopes.Admin], "x", DateTimeOffset.UnixEpoch));
        Assert.Throws<ArgumentException>(() => ApiKeys.Create("acme", [], "x", DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public void Cursors_round_trip_and_garbage_is_refused()
    {
        var cursor = new EventCursor(1_687_446_360_000_000, 42);
        Assert.True(EventCursor.TryParse(cursor.ToString(), out var parsed));
        Assert.Equal(cursor, parsed);
        Assert.False(EventCursor.TryParse("!!", out _));
        Assert.False(EventCursor.TryParse(new string('A', 40), out _));
    }
}
