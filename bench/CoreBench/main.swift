import RollbackCore
print("core bench")
