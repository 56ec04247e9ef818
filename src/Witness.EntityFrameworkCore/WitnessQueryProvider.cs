using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Query.Internal;

namespace Witness.EntityFrameworkCore;

/// <summary>
/// EF Core's query provider, which also sees each <c>ExecuteUpdate</c>/<c>ExecuteDelete</c> run and hands its affected count to
/// the interceptor. Seen here rather than by a command interceptor: any <c>IDbCommandInterceptor</c> on a context makes EF Core
/// build and raise its command events for every statement of every save (a hundred updates: 1.5× the save's CPU), while this
/// costs one type test per query.
/// </summary>
#pragma warning disable EF1001 // EntityQueryProvider is EF Core's internal API; its Execute methods are the one place every bulk statement passes.
internal sealed class WitnessQueryProvider(IQueryCompiler queryCompiler, ICurrentDbContext currentContext) : EntityQueryProvider(queryCompiler)
{
    private WitnessInterceptor? _interceptor;
    private bool _looked;

    public override TResult Execute<TResult>(Expression expression)
    {
        var result = base.Execute<TResult>(expression);
        if (Bulk(expression) is { } bulk && result is int affected)
        {
            bulk.Interceptor.RecordBulk(currentContext.Context, bulk.Crud, bulk.EntityType, affected);
        }

        return result;
    }

    public override TResult ExecuteAsync<TResult>(Expression expression, CancellationToken cancellationToken = default)
    {
        var result = base.ExecuteAsync<TResult>(expression, cancellationToken);
        if (Bulk(expression) is { } bulk && result is Task<int> affected)
        {
            return (TResult)(object)RecordAfterAsync(bulk, affected, cancellationToken);
        }

        return result;
    }

    private async Task<int> RecordAfterAsync((WitnessInterceptor Interceptor, string Crud, Type EntityType) bulk, Task<int> statement, CancellationToken cancellationToken)
    {
        var affected = await statement.ConfigureAwait(false);
        await bulk.Interceptor.RecordBulkAsync(currentContext.Context, bulk.Crud, bulk.EntityType, affected, cancellationToken).ConfigureAwait(false);
        return affected;
    }

    /// <summary>An <c>ExecuteUpdate</c>/<c>ExecuteDelete</c> of an entity type, on a context the Witness interceptor serves.</summary>
    private (WitnessInterceptor Interceptor, string Crud, Type EntityType)? Bulk(Expression expression)
    {
        if (expression is not MethodCallExpression { Method: { IsGenericMethod: true } method }
            || method.DeclaringType?.Namespace?.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal) != true)
        {
            return null;
        }

        var crud = method.Name.StartsWith("ExecuteUpdate", StringComparison.Ordinal) ? "update"
            : method.Name.StartsWith("ExecuteDelete", StringComparison.Ordinal) ? "delete"
            : null;
        if (crud is null || Interceptor() is not { } interceptor)
        {
            return null;
        }

        return (interceptor, crud, method.GetGenericArguments()[0]);
    }

    private WitnessInterceptor? Interceptor()
    {
        if (!_looked)
        {
            _looked = true;
            _interceptor = currentContext.Context.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>()?.Interceptors?.OfType<WitnessInterceptor>().FirstOrDefault();
        }

        return _interceptor;
    }
}
#pragma warning restore EF1001
