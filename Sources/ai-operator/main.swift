print("ai-operator")
