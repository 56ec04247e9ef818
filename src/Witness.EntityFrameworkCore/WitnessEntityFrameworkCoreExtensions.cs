using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Witness.EntityFrameworkCore;

/// <summary>Registers audit capture for an EF Core context.</summary>
public static class WitnessEntityFrameworkCoreExtensions
{
    /// <summary>
    /// Adds the interceptor (use it with <see cref="AddWitnessInterceptor"/>) and, in outbox mode, the hosted service that
    /// delivers <typeparamref name="TContext"/>'s outbox. Needs <c>AddWitnessClient</c> too.
    /// </summary>
    public static IServiceCollection AddWitnessEntityFrameworkCore<TContext>(this IServiceCollection services, Action<WitnessEntityOptions> configure)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<WitnessEntityOptions>().Configure(configure)
            .Validate(o => o.OutboxBatchSize is >= 1 and <= 1000, "Witness outbox batch size must be from 1 to 1,000.")
            .Validate(o => o.OutboxPollInterval > TimeSpan.Zero && o.MaxRetryDelay > TimeSpan.Zero, "Witness outbox intervals must be positive.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<OutboxSignal>();
        services.TryAddSingleton<WitnessInterceptor>();
        services.AddHostedService<WitnessOutboxDelivery<TContext>>();
        return services;
    }

    /// <summary>
    /// Adds the Witness interceptor to a context's options: <c>AddDbContext&lt;T&gt;((sp, o) =&gt; o.UseSqlite(…).AddWitnessInterceptor(sp))</c>.
    /// It also replaces the context's <see cref="IAsyncQueryProvider"/> with EF Core's own provider extended to see
    /// <c>ExecuteUpdate</c>/<c>ExecuteDelete</c>; a context that replaces that service itself cannot record them.
    /// </summary>
    public static DbContextOptionsBuilder AddWitnessInterceptor(this DbContextOptionsBuilder builder, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(services);
        return builder.AddInterceptors(services.GetRequiredService<WitnessInterceptor>())
            .ReplaceService<IAsyncQueryProvider, WitnessQueryProvider>();
    }
}
